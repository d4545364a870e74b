"""CPython stand-in for MicroPython's ``network`` module: a WLAN station the emulator steers.

The firmware calls ``WLAN(STA_IF)``, ``active``, ``connect``, ``isconnected``,
``status()``/``status("rssi")``, ``ifconfig``, ``config`` as on the ESP32. A ``WLAN``
drives the ``Radio`` it was made with (``WLAN(STA_IF, radio=...)``: one per emulated
board) or, by default, the module's own ``sim``, which tests steer:

    network.sim.ap_up = False      # the access point vanishes: link drops
    network.sim.rssi = -71         # signal strength while connected, dBm
    network.sim.join_polls = 3     # isconnected()/status() calls before joined
    network.sim.password = "pw"    # connect() with another key fails
    network.sim.reset()            # back to defaults (between tests)

Status codes are the ESP32 port's. It runs on MicroPython too (``nocturne emulate
--runtime micropython``), and a poll allocates nothing there.
"""

STA_IF = 0
AP_IF = 1

STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_BEACON_TIMEOUT = 200
STAT_NO_AP_FOUND = 201
STAT_WRONG_PASSWORD = 202
STAT_ASSOC_FAIL = 203
STAT_HANDSHAKE_TIMEOUT = 204

AUTH_OPEN = 0
AUTH_WPA2_PSK = 3


class Radio:
    """One board's simulated station and the access point it sees."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.ap_up = True
        self.ssid = None  # None: any SSID joins
        self.password = None  # None: any key joins
        self.rssi = -58
        self.join_polls = 0
        self.ip = "192.168.4.2"
        self.netmask = "255.255.255.0"  # the emulator sets both to its sockets' subnet
        self.active = False
        self.status = STAT_IDLE
        self.target = None  # (ssid, key) of the last connect()
        self.pending = 0
        self.connects = 0
        self.hostname = "nocturne"

    def set_ap(self, up):
        """The access point is there (True) or gone (False).

        When it comes back, a station that lost it (or never found it) and was not told to
        disconnect joins again by itself, as MicroPython's ESP32 port does (it retries the
        connection in the background after every disconnect)."""
        self.ap_up = up
        if (
            up
            and self.target is not None
            and self.status in (STAT_BEACON_TIMEOUT, STAT_NO_AP_FOUND)
        ):
            self.status = STAT_CONNECTING
            self.pending = 2


sim = Radio()


def _poll(s):
    """Advance the simulated join; apply AP loss."""
    if s.status == STAT_GOT_IP and not s.ap_up:
        s.status = STAT_BEACON_TIMEOUT
    if s.status == STAT_CONNECTING:
        if s.pending > 0:
            s.pending -= 1
            return
        ssid, key = s.target
        if not s.ap_up or (s.ssid is not None and ssid != s.ssid):
            s.status = STAT_NO_AP_FOUND
        elif s.password is not None and key != s.password:
            s.status = STAT_WRONG_PASSWORD
        else:
            s.status = STAT_GOT_IP


class WLAN:
    def __init__(self, interface_id=STA_IF, radio=None):
        self.interface = interface_id
        self.radio = sim if radio is None else radio

    def active(self, is_active=None):
        if is_active is None:
            return self.radio.active
        self.radio.active = bool(is_active)
        if not self.radio.active:
            self.radio.status = STAT_IDLE
        return None

    def connect(self, ssid=None, key=None, *, bssid=None):
        if not self.radio.active:
            raise OSError("Wifi Not Started")
        self.radio.connects += 1
        self.radio.target = (ssid, key)
        self.radio.pending = self.radio.join_polls
        self.radio.status = STAT_CONNECTING
        if self.radio.join_polls == 0:
            _poll(self.radio)

    def disconnect(self):
        self.radio.status = STAT_IDLE

    def isconnected(self):
        _poll(self.radio)
        return self.radio.status == STAT_GOT_IP

    def status(self, param=None):
        _poll(self.radio)
        if param is None:
            return self.radio.status
        if param == "rssi":
            if self.radio.status != STAT_GOT_IP:
                raise OSError("Wifi Not Connected")
            return self.radio.rssi
        raise ValueError("unknown status param")

    def ifconfig(self, config=None):
        if config is not None:
            return None
        if self.radio.status == STAT_GOT_IP:
            return (self.radio.ip, self.radio.netmask, "192.168.4.1", "192.168.4.1")
        return ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")

    def config(self, *args, **kwargs):
        if kwargs:
            if "hostname" in kwargs:
                self.radio.hostname = kwargs["hostname"]
            return None
        key = args[0]
        if key == "mac":
            return b"\x24\x6f\x28\x00\x00\x01"
        if key in ("hostname", "dhcp_hostname"):
            return self.radio.hostname
        if key == "essid":
            return self.radio.target[0] if self.radio.target else ""
        raise ValueError("unknown config param")

    def scan(self):
        if not self.radio.ap_up:
            return []
        name = (self.radio.ssid or "nocturne-lan").encode()
        return [(name, b"\x00\x11\x22\x33\x44\x55", 6, self.radio.rssi, AUTH_WPA2_PSK, False)]


def hostname(name=None):
    if name is None:
        return sim.hostname
    sim.hostname = name
    return None
