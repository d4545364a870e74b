"""The machine and network shims: the firmware's view and the emulator's controls."""

import machine
import network
import pytest


@pytest.fixture(autouse=True)
def _clean():
    machine.reset_all()
    network.sim.reset()
    yield
    machine.reset_all()
    network.sim.reset()


def test_pin_output_and_history():
    p = machine.Pin(36, machine.Pin.OUT, value=1)
    p.value(0)
    p.on()
    p(0)
    assert p.value() == 0
    assert machine.pin(36).history == [1, 0, 1, 0]
    assert list(machine.trace) == [("pin", 36, v) for v in (1, 0, 1, 0)]
    assert machine.Pin(36).value() == 0  # same GPIO, same state


def test_button_pull_up_and_irq():
    b = machine.Pin(0, machine.Pin.IN, machine.Pin.PULL_UP)
    assert b.value() == 1  # released
    seen = []
    b.irq(handler=lambda pin: seen.append(pin.value()), trigger=machine.Pin.IRQ_FALLING)
    machine.pin(0).drive(0)  # press
    assert b.value() == 0 and seen == [0]
    machine.pin(0).drive(0)  # no edge, no IRQ
    machine.pin(0).drive(1)  # release: rising edge, not subscribed
    assert seen == [0]
    machine.pin(0).drive(None)
    assert b.value() == 1


def test_i2c_records_and_delivers():
    got = []

    class Dev:
        def write(self, data):
            got.append(data)

    i2c = machine.I2C(0, scl=machine.Pin(18), sda=machine.Pin(17), freq=400_000)
    assert i2c.writeto(0x3C, b"\x00\xaf") == 2  # nothing attached: recorded, acked
    machine.bus(0).attach(0x3C, Dev())
    assert i2c.scan() == [0x3C]
    i2c.writeto(0x3C, bytearray(b"\x40\x01"))
    i2c.writevto(0x3C, (b"\x40", memoryview(b"\x02\x03")))
    assert got == [b"\x40\x01", b"\x40\x02\x03"]
    assert machine.bus(0).writes == 3 and machine.bus(0).freq == 400_000
    assert list(machine.bus(0).log)[-1] == (0x3C, b"\x40\x02\x03")
    with pytest.raises(OSError) as e:
        i2c.writeto(0x3D, b"\x00")
    assert e.value.args[0] == 19  # ENODEV, as on the ESP32


def test_pwm_led_and_misc():
    pwm = machine.PWM(machine.Pin(35), freq=1000, duty_u16=0)
    pwm.duty_u16(32768)
    assert machine.pwm_of(35) is pwm and pwm.duty_u16() == 32768 and pwm.freq() == 1000
    pwm.duty(1023)
    assert pwm.duty_u16() == 65535
    pwm.deinit()
    assert pwm.duty_u16() == 0
    w = machine.WDT(timeout=8000)
    w.feed()
    assert machine.wdt is w and w.feeds == 1
    with pytest.raises(machine.ResetCalled):
        machine.reset()
    assert len(machine.unique_id()) == 6


def test_wlan_join_rssi_and_loss():
    wlan = network.WLAN(network.STA_IF)
    with pytest.raises(OSError):
        wlan.connect("lan", "pw")  # not active yet, like the ESP32
    wlan.active(True)
    network.sim.join_polls = 2
    wlan.connect("lan", "pw")
    assert not wlan.isconnected() and wlan.status() == network.STAT_CONNECTING
    assert wlan.isconnected()
    assert wlan.status("rssi") == -58
    network.sim.rssi = -80
    assert wlan.status("rssi") == -80
    assert wlan.ifconfig()[0] == "192.168.4.2"
    network.sim.ap_up = False
    assert not wlan.isconnected() and wlan.status() == network.STAT_BEACON_TIMEOUT
    with pytest.raises(OSError):
        wlan.status("rssi")


def test_wlan_wrong_password_and_missing_ap():
    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    network.sim.password = "right"
    wlan.connect("lan", "wrong")
    assert wlan.status() == network.STAT_WRONG_PASSWORD
    network.sim.ap_up = False
    wlan.connect("lan", "right")
    assert wlan.status() == network.STAT_NO_AP_FOUND and not wlan.isconnected()
    assert network.sim.connects == 2


def test_each_wlan_drives_its_own_radio():
    """One radio per emulated board: an access point lost by one is not lost by another."""
    first, second = network.Radio(), network.Radio()
    wlans = [network.WLAN(network.STA_IF, radio=r) for r in (first, second)]
    default = network.WLAN(network.STA_IF)
    for w in (*wlans, default):
        w.active(True)
        w.connect("lan", "pw")
    second.rssi = -77
    assert [w.status("rssi") for w in wlans] == [-58, -77]
    first.ap_up = False
    assert not wlans[0].isconnected() and wlans[1].isconnected() and default.isconnected()
    assert (first.connects, second.connects, network.sim.connects) == (1, 1, 1)
    assert default.radio is network.sim
