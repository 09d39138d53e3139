"""The order of the example gallery: from a first look to scaling out."""

from pathlib import Path

ORDER = (
    "plot_quickstart.py",
    "plot_grid_search.py",
    "plot_strategies_curve.py",
    "plot_robustness.py",
    "plot_regression.py",
    "plot_compaction_speedup.py",
    "plot_digits_cnn.py",
    "plot_text_sentiment.py",
    "plot_deploy_onnx.py",
    "plot_feature_selection.py",
    "plot_bagging.py",
    "plot_custom_loss_strategy.py",
    "plot_dask_grid_search.py",
)


class GalleryOrder:
    """sphinx-gallery sort key: examples in ``ORDER``, any others after, by name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        position = ORDER.index(name) if name in ORDER else len(ORDER)
        return position, name

    def __repr__(self):
        return "GalleryOrder()"
