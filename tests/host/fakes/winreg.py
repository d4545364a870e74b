"""A stand-in for Windows' ``winreg`` module, shaped like the real one, recording every call.

Only what autostart uses: OpenKey, CreateKeyEx, QueryValueEx, SetValueEx, DeleteValue, the
HKEY_CURRENT_USER root and the KEY_* / REG_* constants (same values as winreg's). Missing keys
and values raise FileNotFoundError with winerror 2, as winreg does; keys are case-insensitive.
"""

from __future__ import annotations

HKEY_CURRENT_USER = 0x80000001
KEY_READ = 0x20019
KEY_WRITE = 0x20006
KEY_SET_VALUE = 0x0002
REG_SZ = 1

_ERROR_FILE_NOT_FOUND = 2


def _not_found() -> FileNotFoundError:
    err = FileNotFoundError(2, "The system cannot find the file specified")
    err.winerror = _ERROR_FILE_NOT_FOUND  # type: ignore[attr-defined]
    return err


class HKEYType:
    """A handle, usable as a context manager like winreg's PyHKEY."""

    def __init__(self, registry: FakeRegistry, path: str, access: int) -> None:
        self.registry = registry
        self.path = path
        self.access = access
        self.closed = False

    def Close(self) -> None:
        self.closed = True

    def __enter__(self) -> HKEYType:
        return self

    def __exit__(self, *exc: object) -> None:
        self.Close()


class FakeRegistry:
    """Behaves as the winreg module: pass an instance where the module is expected."""

    HKEY_CURRENT_USER = HKEY_CURRENT_USER
    KEY_READ = KEY_READ
    KEY_WRITE = KEY_WRITE
    KEY_SET_VALUE = KEY_SET_VALUE
    REG_SZ = REG_SZ

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, tuple[object, int]]] = {}
        self.calls: list[tuple] = []

    @staticmethod
    def _path(root: int, sub_key: str) -> str:
        assert root == HKEY_CURRENT_USER, "only HKCU is ever touched"
        return "HKEY_CURRENT_USER\\" + sub_key.lower()

    def OpenKey(self, key: int, sub_key: str, reserved: int = 0, access: int = KEY_READ):
        self.calls.append(("OpenKey", sub_key, access))
        path = self._path(key, sub_key)
        if path not in self.keys:
            raise _not_found()
        return HKEYType(self, path, access)

    def CreateKeyEx(self, key: int, sub_key: str, reserved: int = 0, access: int = KEY_WRITE):
        self.calls.append(("CreateKeyEx", sub_key, access))
        path = self._path(key, sub_key)
        self.keys.setdefault(path, {})
        return HKEYType(self, path, access)

    def QueryValueEx(self, key: HKEYType, value_name: str) -> tuple[object, int]:
        self.calls.append(("QueryValueEx", value_name))
        try:
            return self.keys[key.path][value_name.lower()]
        except KeyError:
            raise _not_found() from None

    def SetValueEx(self, key: HKEYType, value_name: str, reserved: int, type: int, value) -> None:
        assert key.access & KEY_SET_VALUE, "key opened without KEY_SET_VALUE"
        self.calls.append(("SetValueEx", value_name, type, value))
        self.keys[key.path][value_name.lower()] = (value, type)

    def DeleteValue(self, key: HKEYType, value: str) -> None:
        assert key.access & KEY_SET_VALUE, "key opened without KEY_SET_VALUE"
        self.calls.append(("DeleteValue", value))
        try:
            del self.keys[key.path][value.lower()]
        except KeyError:
            raise _not_found() from None
