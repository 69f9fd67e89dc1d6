"""The Configuration tab says whether scheduled runs also happen with the window closed."""

from __future__ import annotations

from desktop_app.config import timers
from desktop_app.gui.pages.detail import DetailPage


def test_the_configuration_tab_says_whether_the_os_timer_runs_the_schedule(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "systemctl"
    tool.write_text("#!/bin/sh\necho active\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    page = DetailPage()
    qtbot.addWidget(page)

    page.set_background(timers.timer_for("linux").status().sentence())  # nothing installed
    said = page.fields["While closed"].text()
    assert "only while this app is open" in said and "desktop-app schedule install" in said

    timer = timers.timer_for("linux")
    for path in timer.files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("[Unit]\n")
    page.set_background(timer.status().sentence())
    assert page.fields["While closed"].text().startswith("Background schedule active")
