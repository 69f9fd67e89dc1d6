"""Open a dialog with ``open()`` and await its result (no nested ``exec()`` loop under qasync)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog

if TYPE_CHECKING:
    import asyncio


async def ask(dialog: QDialog) -> int:
    """Show ``dialog`` window-modally and return its result code when it closes."""
    import asyncio

    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def done(result: int) -> None:
        if not future.done():
            future.set_result(int(result))

    dialog.finished.connect(done)
    dialog.open()
    try:
        return await future
    finally:
        dialog.finished.disconnect(done)
