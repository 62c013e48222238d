"""The shortcuts sheet (F1 or ?), drawn from the same table as the window's actions."""
from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

from reviewer_app.gui.actions import ACTIONS, MOUSE_HELP


def shortcuts_html() -> str:
    groups: dict[str, list] = {}
    for a in ACTIONS:
        if a.keys:
            groups.setdefault(a.group, []).append(a)
    parts = ["<style>td{padding:2px 10px 2px 0;} kbd{background:#eee;border:1px solid #bbb;"
             "border-radius:3px;padding:0 4px;font-family:monospace;}</style>"]
    parts.append("<table>")
    for group, actions in groups.items():
        parts.append(f"<tr><td colspan=2><h3>{escape(group)}</h3></td></tr>")
        for a in actions:
            keys = " or ".join(f"<kbd>{escape(k)}</kbd>" for k in a.keys)
            parts.append(f"<tr><td>{keys}</td><td>{escape(a.text)}</td></tr>")
    parts.append("<tr><td colspan=2><h3>Mouse</h3></td></tr>")
    for what, does in MOUSE_HELP:
        parts.append(f"<tr><td><b>{escape(what)}</b></td><td>{escape(does)}</td></tr>")
    parts.append("</table>")
    return "".join(parts)


class ShortcutsDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(640, 720)
        layout = QVBoxLayout(self)
        view = QTextBrowser()
        view.setHtml(shortcuts_html())
        layout.addWidget(view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
