# Copy to secrets.py on the board (it stays out of git) and fill in.
WIFI_SSID = "your-wifi"
WIFI_PASSWORD = "your-password"
SERVER_HOST = ""  # "" = find the PC on the LAN; or the PC's address, e.g. "192.168.1.20"
SERVER_PORT = 8090
SERVER_NAME = ""  # the PC to pick when several answer the search (its name); "" = any
SERVER_TOKEN = ""  # the pairing token (`nocturne pair`); "" = not paired
BOARD = "v4"  # "v3", "v4", or "v4r8" for the V4 rev 4.3 ("R8") board
NTP_HOST = ""  # time server for when the PC stays away ("pool.ntp.org", "10.0.0.1:123"); "" = off
