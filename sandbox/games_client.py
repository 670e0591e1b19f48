"""Test-side helpers for games: a member answers a poll, a poll's state, the next dice."""

from __future__ import annotations

from typing import Any

from sandbox.client import SandboxClient, User


async def answer_poll(
    sandbox: SandboxClient, poll_id: str, user: User, option_ids: list[int]
) -> dict[str, Any]:
    result: dict[str, Any] = await sandbox.request(
        "POST", f"/control/polls/{poll_id}/answer", {"user_id": user.id, "option_ids": option_ids}
    )
    return result


async def poll_state(sandbox: SandboxClient, poll_id: str) -> dict[str, Any]:
    result: dict[str, Any] = await sandbox.request("GET", f"/control/polls/{poll_id}")
    return result


async def fix_dice(sandbox: SandboxClient, *values: int) -> None:
    await sandbox.request("POST", "/control/dice", {"values": list(values)})
