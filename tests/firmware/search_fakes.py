"""A LAN for a searching board in real MicroPython (test_discovery_mp.py), small on purpose
(the heap test counts it): a UDP socket the port can poll (a stream: MP_STREAM_POLL = 3,
POLLIN = 1), a PC that answers once asked, a quiet TCP socket. No f-strings."""

import io


class Udp(io.IOBase):
    def __init__(self, net):
        self.net = net
        self.inbox = []

    def ioctl(self, req, arg):
        return 1 if req == 3 and self.inbox and arg & 1 else 0

    def setsockopt(self, level, opt, value):
        pass

    def bind(self, addr):
        pass

    def setblocking(self, flag):
        pass

    def sendto(self, data, addr):
        self.net.queries += 1  # a count: a list that grows would allocate
        if self.net.answer is not None:
            self.inbox.append((self.net.answer, ("192.168.1.7", 50000)))
        return len(data)

    def recvfrom(self, n):
        if not self.inbox:
            raise OSError(11)
        return self.inbox.pop(0)

    def close(self):
        pass


class Tcp:
    def __init__(self, net):
        self.net = net
        self.rx = b""

    def settimeout(self, t):
        pass

    def setblocking(self, b):
        pass

    def connect(self, addr):
        self.net.conn = self

    def send(self, d):
        return len(d)

    def readinto(self, buf):
        if not self.rx:
            return None
        n = min(len(buf), len(self.rx))
        buf[:n] = self.rx[:n]
        self.rx = self.rx[n:]
        return n

    def close(self):
        pass


class Net:
    AF_INET = 2
    SOCK_STREAM = 1
    SOCK_DGRAM = 2
    SOL_SOCKET = 4095
    SO_BROADCAST = 32

    def __init__(self):
        self.queries = 0
        self.answer = None
        self.conn = None
        self.connects = []

    def socket(self, af=2, kind=1):
        return Udp(self) if kind == 2 else Tcp(self)

    def getaddrinfo(self, h, p):
        self.connects.append((h, p))
        return [(2, 1, 0, "", (h, p))]


class Wlan:
    def active(self, v=None):
        return True

    def connect(self, ssid, pw):
        pass

    def isconnected(self):
        return True

    def status(self, what):
        return -60

    def ifconfig(self):
        return ("192.168.1.50", "255.255.255.0", "192.168.1.1", "192.168.1.1")
