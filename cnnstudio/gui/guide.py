"""Help > Guide (F1): the user guide in a window of its own.

The guide is Markdown with PNG pictures. Its source is ``docs/guide/``; the package reaches it
as ``cnnstudio/resources/guide`` (``resources/guide`` is a link to ``docs/guide``, and the
wheel carries the files themselves), so ``guide_dir()`` finds it in a checkout and in an
installed app alike.

``GuideWindow`` shows a contents list (the chapters the index ``README.md`` links to, in its
order) beside a ``QTextBrowser`` that renders one chapter at a time (``setSource`` on the
``.md`` file, so relative pictures and links resolve against the chapter's folder). Pictures
are scaled down, smoothly, to the page's width. Links: another chapter opens in the browser
(Back and Forward follow), ``layer:KIND`` opens that layer kind's help page (the one the
inspector's Help button shows), web links go to the system browser, anything else is
refused in the status line.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Slot
from PySide6.QtGui import (
    QDesktopServices,
    QImage,
    QResizeEvent,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextImageFormat,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.layers import LAYERS
from cnnstudio.gui.panels.layer_help import LayerHelpDialog
from cnnstudio.resources import resource_path

INDEX = "README.md"
#: a chapter line of the index: ``1. [Title](file.md)``
CHAPTER_LINE = re.compile(r"^\s*\d+\.\s+\[([^\]]+)\]\(([\w.-]+\.md)\)", re.MULTILINE)
WEB_SCHEMES = ("http", "https", "mailto")
ROLE = Qt.ItemDataRole.UserRole
#: the image format property holding a picture's own file name once it is shown scaled
ORIGINAL = QTextFormat.Property.UserProperty


def guide_dir() -> Path:
    """The guide's folder (docs/guide in a checkout, the packaged copy when installed)."""
    return resource_path("guide")


def chapters(folder: Path | None = None) -> list[tuple[str, str]]:
    """``(title, file name)`` of each chapter the index lists, in its order."""
    text = ((folder or guide_dir()) / INDEX).read_text(encoding="utf-8")
    return CHAPTER_LINE.findall(text)


def picture_name(image: QTextImageFormat) -> str:
    """The file name a picture of the page was written with (before any scaling)."""
    original = image.property(ORIGINAL)
    return original if isinstance(original, str) and original else image.name()


class _Browser(QTextBrowser):
    """A text browser that scales pictures to its width whenever it is resized."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self._pictures: dict[str, QImage] = {}  # decoded once per file
        self.sourceChanged.connect(self.fit_images)  # emitted before source() changes

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_images(self.source())

    @Slot(QUrl)
    def fit_images(self, base: QUrl) -> None:
        """Show each picture of the page ``base`` at most as wide as the page, scaled
        smoothly (a copy kept in the document under ``NAME@WIDTH``), in proportion."""
        doc = self.document()
        room = max(200, self.viewport().width() - 40)
        found = []
        block = doc.begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                if fragment.charFormat().isImageFormat():
                    found.append((fragment.position(), fragment.length(),
                                  fragment.charFormat().toImageFormat()))
                it += 1
            block = block.next()
        for position, length, image in found:
            original = picture_name(image)
            picture = self._picture(base.resolved(QUrl(original)).toLocalFile())
            if picture.isNull():
                continue
            width = min(room, picture.width())
            key = base.resolved(QUrl(f"{original}@{width}")).toString()
            if image.name() == key:
                continue
            if width < picture.width():
                picture = picture.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
            doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(key), picture)
            image.setProperty(ORIGINAL, original)
            image.setName(key)
            image.setWidth(picture.width())
            image.setHeight(picture.height())
            cursor = QTextCursor(doc)
            cursor.setPosition(position)
            cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
            cursor.setCharFormat(image)

    def _picture(self, path: str) -> QImage:
        if path not in self._pictures:
            self._pictures[path] = QImage(path)
        return self._pictures[path]


class GuideWindow(QWidget):
    """The guide: contents on the left, the chapter on the right."""

    def __init__(self, parent: QWidget | None = None, folder: Path | None = None) -> None:
        folder = (folder or guide_dir()).resolve()
        listed = chapters(folder)  # OSError when the guide is missing: no window is made
        super().__init__(parent, Qt.WindowType.Window)
        self.folder = folder
        self.setWindowTitle("CNN Studio Guide")
        self.resize(1180, 820)
        self.layer_help: LayerHelpDialog | None = None
        self.contents = QListWidget(self)
        item = QListWidgetItem("Contents")
        item.setData(ROLE, INDEX)
        self.contents.addItem(item)
        for number, (title, name) in enumerate(listed, 1):
            item = QListWidgetItem(f"{number}. {title}")
            item.setData(ROLE, name)
            self.contents.addItem(item)
        self.contents.setWordWrap(True)
        self.contents.currentItemChanged.connect(self._chosen)
        self.browser = _Browser(self)
        self.browser.setSearchPaths([str(self.folder)])
        self.browser.anchorClicked.connect(self.follow)
        self.browser.sourceChanged.connect(self._follow_contents)
        self.back = QPushButton("Back", self)
        self.back.clicked.connect(self.browser.backward)
        self.browser.backwardAvailable.connect(self.back.setEnabled)
        self.forward = QPushButton("Forward", self)
        self.forward.clicked.connect(self.browser.forward)
        self.browser.forwardAvailable.connect(self.forward.setEnabled)
        self.back.setEnabled(False)
        self.forward.setEnabled(False)
        self.status = QLabel(self)
        bar = QHBoxLayout()
        bar.addWidget(self.back)
        bar.addWidget(self.forward)
        bar.addWidget(self.status, 1)
        split = QSplitter(self)
        split.addWidget(self.contents)
        split.addWidget(self.browser)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 880])
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(split, 1)
        self.open_chapter(INDEX)

    @property
    def chapter(self) -> str:
        """The file name of the page shown (relative to the guide's folder)."""
        return self._name(self.browser.source())

    def _name(self, url: QUrl) -> str:
        path = Path(url.toLocalFile())
        return path.name if path.parent == self.folder else str(path)

    def open_chapter(self, name: str, fragment: str = "") -> bool:
        """Show the guide's page ``name`` (e.g. ``03-shapes.md``), scrolled to ``fragment``."""
        path = (self.folder / name).resolve()
        if path.parent != self.folder or path.suffix != ".md" or not path.is_file():
            self.status.setText(f"Not a page of the guide: {name}")
            return False
        self.status.clear()
        url = QUrl.fromLocalFile(str(path))
        if fragment:
            url.setFragment(fragment)
        if self.browser.source().toLocalFile() != str(path):
            self.browser.setSource(url)
        if fragment:
            self.browser.scrollToAnchor(fragment)
        return True

    @Slot(QUrl)
    def follow(self, url: QUrl) -> None:
        """A link was clicked in the page."""
        if url.scheme() == "layer":
            self.show_layer(url.path())
        elif url.scheme() in WEB_SCHEMES:
            QDesktopServices.openUrl(url)
        elif url.isRelative() and not url.path():  # #anchor in the same page
            self.browser.scrollToAnchor(url.fragment())
        else:
            target = self.browser.source().resolved(url)
            path = Path(target.toLocalFile()) if target.isLocalFile() else None
            if path is None or path.resolve().parent != self.folder:
                self.status.setText(f"Not a page of the guide: {url.toString()}")
                return
            self.open_chapter(path.name, target.fragment())

    def show_layer(self, kind: str) -> None:
        """The help page of layer kind ``kind`` (as the inspector's Help button shows it)."""
        if kind not in LAYERS:
            self.status.setText(f"No layer kind named {kind!r}")
            return
        if self.layer_help is None:
            self.layer_help = LayerHelpDialog(self)
        self.layer_help.show_kind(kind)

    @Slot(QListWidgetItem, QListWidgetItem)
    def _chosen(self, item: QListWidgetItem | None, _previous: object) -> None:
        if item is not None and item.data(ROLE) != self.chapter:
            self.open_chapter(str(item.data(ROLE)))

    @Slot(QUrl)
    def _follow_contents(self, url: QUrl) -> None:
        """Select the contents entry of the page shown (after a link, Back or Forward)."""
        name = self._name(url)
        for row in range(self.contents.count()):
            if self.contents.item(row).data(ROLE) == name:
                self.contents.blockSignals(True)
                self.contents.setCurrentRow(row)
                self.contents.blockSignals(False)
                return


def show_guide(owner: QWidget, current: GuideWindow | None) -> GuideWindow | None:
    """Show the guide window (``current`` when it exists), in front, and return it; when the
    guide's files cannot be read, say so in a message box and return None."""
    if current is None:
        try:
            current = GuideWindow(owner)
        except OSError as exc:
            QMessageBox.critical(owner, "Guide", f"The guide could not be opened: its index "
                                 f"{guide_dir() / INDEX} cannot be read ({exc.strerror or exc}).")
            return None
    current.show()
    current.raise_()
    current.activateWindow()
    return current
