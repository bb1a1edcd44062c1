"""Where an image competition keeps its pictures: its competition.yaml section (``images:``), owned by the image kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

LAYOUTS = ("path_column", "id_files", "class_folders", "pixels")


@dataclass
class ImagesSpec:
    """Where an image competition keeps its pictures (``layout``).

    - ``path_column``: a CSV column holds each image's path relative to the data folder (images/0.jpg);
    - ``id_files``: ``<train_dir>/<id><extension>`` and ``<test_dir>/<id><extension>``;
    - ``class_folders``: ``<train_dir>/<class>/<file>`` (the folder is the label) and ``<test_dir>/<file>``,
      the file name being the id;
    - ``pixels``: the CSV rows are the pictures (``pixel_prefix`` columns, ``height`` x ``width``, gray or RGB).
    """

    layout: str = "id_files"  # path_column, id_files, class_folders or pixels
    path_column: Optional[str] = None  # path_column layout: the column holding each image's path
    train_dir: str = "train"  # id_files and class_folders layouts
    test_dir: str = "test"
    extension: str = ".png"  # id_files layout: <id><extension>
    pixel_prefix: str = "pixel"  # pixels layout: columns pixel0, pixel1, ...
    height: int = 28  # pixels layout: picture size and channels (1 gray, 3 RGB)
    width: int = 28
    channels: int = 1
    side: Optional[int] = None  # other layouts: the pictures' own side in pixels (make new measures it); 32 or less adds pixel_cnn

    def check(self) -> Optional[str]:
        if self.layout not in LAYOUTS:
            return f"images.layout must be {', '.join(LAYOUTS)}, not '{self.layout}'"
        if self.layout == "path_column" and not self.path_column:
            return "images.layout path_column needs images.path_column"
        return None


def images_spec(spec) -> ImagesSpec:
    """The competition's ``images:`` section (where its pictures are), checked."""
    return spec.section("images", ImagesSpec)

