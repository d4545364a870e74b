# SNTP (RFC 4330): one query to a time server, the Unix time it answers. Imported only when
# the board resyncs (desk.py: the server gone for NTP_AFTER_MS and secrets.NTP_HOST set), so
# it costs no heap otherwise. Like MicroPython's ntptime (which it replaces because that
# has no port setting), but the host may be "name" or "name:port" and the socket module is
# given (the board's, a test's).

NTP_PORT = 123
NTP_DELTA = 2208988800  # 1900-01-01 to 1970-01-01, in seconds
ERA_SPLIT = 3913056000  # 2024-01-01 as an NTP timestamp: smaller ones are after 2036's wrap
TIMEOUT_S = 1


def split_host(spec):
    # "host" or "host:port" -> (host, port); port 123 by default. None for a bad spec.
    if not spec:
        return None
    i = spec.rfind(":")
    if i < 0:
        return spec, NTP_PORT
    try:
        port = int(spec[i + 1 :])
    except ValueError:
        return None
    if not 0 < port < 65536 or i == 0:
        return None
    return spec[:i], port


def query(socket_mod, host, port=NTP_PORT, timeout=TIMEOUT_S):
    # The server's transmit time as Unix seconds, or None (no answer, a bad one). Blocks at
    # most ``timeout`` s in recv.
    try:
        addr = socket_mod.getaddrinfo(host, port)[0][-1]
        s = socket_mod.socket(socket_mod.AF_INET, socket_mod.SOCK_DGRAM)
    except Exception:
        return None
    try:
        s.settimeout(timeout)
        q = bytearray(48)
        q[0] = 0x1B  # LI 0, version 3, mode 3 (client)
        s.sendto(q, addr)
        msg = s.recvfrom(48)[0]
    except Exception:
        return None
    finally:
        s.close()
    if len(msg) < 48 or msg[0] & 7 != 4 or msg[1] == 0:  # not a server's answer, or kiss-o'-death
        return None
    secs = (msg[40] << 24) | (msg[41] << 16) | (msg[42] << 8) | msg[43]
    if secs < ERA_SPLIT:
        secs += 0x100000000
    return secs - NTP_DELTA
