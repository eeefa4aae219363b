"""A service whose start() fails: the emulator must report it and keep the others."""

from __future__ import annotations

from lab.services.base import DeviceContext


async def start(ctx: DeviceContext) -> None:
    raise RuntimeError(f"broken on purpose ({ctx.name})")
