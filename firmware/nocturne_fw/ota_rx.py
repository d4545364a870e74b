"""Receiving an update over the link into the staging folder (issue 23; PROTOCOL.md,
"Updates over the air").

main.py imports this when an ``UP m`` line arrives and drops it from sys.modules when the
update is over (staged or refused): a board that is not updating holds none of it. The
manifest's lines are written to the staging folder as they come and hashed into an
HMAC-SHA256 keyed by the board's pairing token, over this boot's nonce first (written out
here from hashlib.sha256: MicroPython has no hmac module). Only a manifest whose HMAC
checks out is used: its files then arrive in its order as base64 ``UP d`` lines, each
decoded into one fixed buffer (no bytes object per chunk), written to its staged file and
hashed; a file whose SHA-256 is not the manifest's, one longer than it says, a transfer
that ends early, anything out of order: refused with an ``ota:refused <why>`` line and the
staging folder removed; the running version is untouched. Once every file checked out the
marker ``ota_ready`` is written, the server hears ``ota:staged <version>`` and the board
resets: boot.py puts the files in place (ota_swap.py).
"""

import hashlib
from binascii import hexlify

from micropython import const
from nocturne_fw import ota_fs as sw

CHUNK = const(384)  # bytes a data line carries at most: 512 base64 characters
MAX_FILES = const(96)
MAX_SIZE = const(262144)  # a firmware file's largest plausible size
_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

# phases
_MANIFEST = const(1)
_FILES = const(2)
_DONE = const(3)


def _hmac_key(key, pad):
    k = bytearray(64)
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    k[: len(key)] = key
    for i in range(64):
        k[i] ^= pad
    return k


def _safe(rel):
    if not rel or rel[0] == 47 or b".." in rel or len(rel) > 96:  # "/"
        return False
    for c in rel:  # letters, digits, "_", "-", ".", "/"
        if not (97 <= c <= 122 or 65 <= c <= 90 or 48 <= c <= 57 or c in (95, 45, 46, 47)):
            return False
    return True


class Receiver:
    def __init__(self, link, token, root, nonce, reset):
        """``link``: the net.Link its answers go out on; ``token``: the pairing token (the
        HMAC's key); ``root``: the board's filesystem ("": current folder); ``nonce``:
        this boot's (bytes, hex); ``reset()``: reboots the board (None: only the tests')."""
        self.link = link
        self.key = token.encode()
        self.root = root or ""
        self.nonce = nonce
        self.reset = reset
        self.buf = bytearray(CHUNK)
        self.mv = memoryview(self.buf)
        self.dec = bytearray(128)  # base64 character -> its 6 bits; 255: not one
        for i in range(128):
            self.dec[i] = 255
        for i in range(64):
            self.dec[_B64[i]] = i
        self.phase = 0
        self.mac = hashlib.sha256()  # the HMAC's inner hash, made anew by each manifest
        self.count = self.entries = 0
        self.mf = None  # the manifest file: written, then read one file's line at a time
        self.out = None  # the staged file being written
        self.sha = hashlib.sha256()
        self.left = 0
        self.want = b""
        self.rel = ""
        self.version = ""
        self.deadline = "60"

    def take(self, line):
        """One ``UP`` line (bytes or a memoryview valid for the call); True once the update
        is over (staged, refused or abandoned): this module and ota_fs are let go of, and
        the caller lets go of the receiver."""
        over = self._take(line)
        if over:
            sw.forget()
        return over

    def _take(self, line):
        verb = line[3]
        try:
            if verb == 109:  # m
                return self._begin(line)
            if self.phase == _MANIFEST:
                if verb == 101:  # e
                    return self._entry(line)
                if verb == 115:  # s
                    return self._check(line)
            elif self.phase == _FILES:
                if verb == 100:  # d
                    return self._data(line)
                if verb == 122:  # z
                    return self._end()
            if verb == 120:  # x: the server gave up
                self._close()
                sw.rmtree(sw.path(self.root, sw.STAGE))
                return True
            return self._refuse("out of order")
        except MemoryError:
            return self._refuse("no memory")
        except OSError:
            return self._refuse("filesystem error")
        except ValueError:
            return self._refuse("malformed line")

    # -- the manifest ---------------------------------------------------------------

    def _begin(self, line):
        self._close()
        if sw.exists(sw.path(self.root, sw.STATE)):
            return self._refuse("a version on trial")
        words = bytes(line[3:]).split()  # m <version> <files> <trial_s>
        if len(words) != 4:
            return self._refuse("malformed manifest")
        self.version = words[1].decode()
        self.deadline = words[3].decode()
        self.count = int(words[2])
        if self.count > MAX_FILES or not 1 <= int(self.deadline) <= 3600:
            return self._refuse("malformed manifest")
        stage = sw.path(self.root, sw.STAGE)
        sw.rmtree(stage)
        sw.remove(sw.path(self.root, sw.READY))
        sw.mkdirs(stage + "/x")
        self.mf = open(sw.path(self.root, sw.MANIFEST), "wb")
        self.mac = hashlib.sha256(_hmac_key(self.key, 0x36))
        self.mac.update(self.nonce)
        self.mac.update(b"\n")
        self._hash(line)
        self.entries = 0
        self.phase = _MANIFEST
        return False

    def _hash(self, line):
        self.mac.update(line[3:])
        self.mac.update(b"\n")

    def _entry(self, line):
        self.entries += 1
        mf = self.mf
        if mf is None or self.entries > self.count:
            return self._refuse("manifest too long")
        self._hash(line)
        mf.write(line[5:])
        mf.write(b"\n")
        return False

    def _check(self, line):
        inner = self.mac.digest()
        outer = hashlib.sha256(_hmac_key(self.key, 0x5C))
        outer.update(inner)
        got = hexlify(outer.digest())
        sent = bytes(line[5:]).strip()
        diff = len(got) ^ len(sent)
        for i in range(min(len(got), len(sent))):
            diff |= got[i] ^ sent[i]
        if diff or self.entries != self.count or self.mf is None:
            return self._refuse("bad signature")
        self.mf.close()
        self.mf = open(sw.path(self.root, sw.MANIFEST), "rb")
        self.phase = _FILES
        return self._next()

    # -- the files ------------------------------------------------------------------

    def _next(self):
        """Open the manifest's next file (files of size 0 are written at once)."""
        while True:
            if self.out is not None:
                self.out.close()
                self.out = None
            mf = self.mf
            if mf is None:
                return self._refuse("out of order")
            words = mf.readline().split()
            if not words:
                self.rel = ""
                return False
            rel, size = words[0], int(words[1])
            if not _safe(rel) or not 0 <= size <= MAX_SIZE or len(words[2]) != 64:
                return self._refuse("bad path or size in the manifest")
            self.rel = rel.decode()
            p = sw.path(self.root, sw.STAGE + "/" + self.rel)
            sw.mkdirs(p)
            self.out = open(p, "wb")
            self.sha = hashlib.sha256()
            self.left = size
            self.want = words[2]
            if size:
                return False
            if not self._finish():
                return True

    def _finish(self):
        if hexlify(self.sha.digest()) != self.want:
            self._refuse("sha256 mismatch " + self.rel)
            return False
        return True

    def _data(self, line):
        out = self.out
        if not self.rel or out is None:
            return self._refuse("more data than the manifest")
        n = self._decode(line)
        if n < 0:
            return self._refuse("bad chunk " + self.rel)
        if n > self.left:
            return self._refuse("longer than the manifest " + self.rel)
        if n == CHUNK:
            out.write(self.buf)
            self.sha.update(self.buf)
        else:  # the file's last chunk: one view per file
            part = self.mv[:n]
            out.write(part)
            self.sha.update(part)
        self.left -= n
        if self.left:
            return False
        if not self._finish():
            return True
        return self._next()

    def _decode(self, line):
        """Base64 after ``UP d `` into the buffer, in place; its byte count, -1 when it is
        not base64 or longer than the buffer."""
        buf = self.buf
        dec = self.dec
        n = acc = bits = 0
        for i in range(5, len(line)):
            c = line[i]
            if c == 61:  # "="
                break
            v = dec[c] if c < 128 else 255
            if v == 255:
                return -1
            acc = ((acc << 6) | v) & 0xFFFFFF
            bits += 6
            if bits >= 8:
                bits -= 8
                if n == CHUNK:
                    return -1
                buf[n] = (acc >> bits) & 255
                n += 1
        return n

    def _end(self):
        if self.rel:
            return self._refuse("truncated " + self.rel)
        self._close()
        sw.write_atomic(sw.path(self.root, sw.READY), "%s %s\n" % (self.version, self.deadline))
        self.phase = _DONE
        self._say(b"ota:staged " + self.version.encode() + b"\n")
        if self.reset is not None:
            self.link.close()  # the staged line leaves before the reset
            self.reset()
        return True

    # -- the end ----------------------------------------------------------------------

    def _refuse(self, why):
        self._close()
        sw.rmtree(sw.path(self.root, sw.STAGE))
        self.phase = _DONE
        self._say(b"ota:refused " + why.encode() + b"\n")
        return True

    def _close(self):
        for f in (self.out, self.mf):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        self.out = self.mf = None
        self.rel = ""
        self.phase = 0

    def _say(self, data):
        try:
            self.link._send(data)
        except Exception:
            pass  # the link is down: the server sees the connection end
