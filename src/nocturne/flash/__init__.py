"""``nocturne flash``: put MicroPython and the NOCTURNE firmware on a Heltec board."""

from .board_secrets import BOARDS, DEFAULT_BOARD, Secrets, check_secrets, lan_ip, render_secrets
from .cli import add_subparser, build_plan, configure_parser, main, run
from .commands import (
    WDT_SNIPPET,
    esptool_commands,
    format_command,
    mpremote_command,
    run_command,
    tool_command,
)
from .errors import FlashError
from .image import check_firmware_image
from .plan import FlashPlan, describe_plan, execute_plan
from .ports import (
    check_port_access,
    choose_port,
    describe_port,
    find_board_ports,
    is_board_port,
    permission_message,
    port_present,
    wait_for_port,
)
from .prompts import gather_secrets
from .staging import (
    DRY_RUN_STAGE,
    SECRETS_NAME,
    find_firmware_dir,
    firmware_files,
    stage_entries,
    stage_firmware,
)

__all__ = [
    "BOARDS",
    "DEFAULT_BOARD",
    "DRY_RUN_STAGE",
    "SECRETS_NAME",
    "WDT_SNIPPET",
    "FlashError",
    "FlashPlan",
    "Secrets",
    "add_subparser",
    "build_plan",
    "check_firmware_image",
    "check_port_access",
    "check_secrets",
    "choose_port",
    "configure_parser",
    "describe_plan",
    "describe_port",
    "esptool_commands",
    "execute_plan",
    "find_board_ports",
    "find_firmware_dir",
    "firmware_files",
    "format_command",
    "gather_secrets",
    "is_board_port",
    "lan_ip",
    "main",
    "mpremote_command",
    "permission_message",
    "port_present",
    "render_secrets",
    "run",
    "run_command",
    "stage_entries",
    "stage_firmware",
    "tool_command",
    "wait_for_port",
]
