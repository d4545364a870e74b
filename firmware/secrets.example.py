# Copy to secrets.py on the board (it stays out of git) and fill in.
WIFI_SSID = "your-wifi"
WIFI_PASSWORD = "your-password"
SERVER_HOST = "192.168.1.20"  # the PC running `nocturne` (its LAN address)
SERVER_PORT = 8090
BOARD = "v4"  # "v3", "v4", or "v4r8" for the V4 rev 4.3 ("R8") board
