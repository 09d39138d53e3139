"""The benchmark numbers the user guide quotes, read from ``benchmarks/RESULTS.md``.

The pages never type a measured number: they write a substitution such as
``|path_speedup|``, and ``conf.py`` defines every name below from what the
benchmark scripts last wrote, at every build (:func:`rst_prolog`). A number that
moves in ``RESULTS.md`` moves in the pages; a name whose number is gone stops the
build with the name and where it was looked for (and ``tests/test_bench_docs.py``
checks every name against ``RESULTS.md`` without a build).

A name is found either in a table cell (:class:`Cell`) or in the text of a section
(:class:`Quote`).
"""

import re
import sys
from collections import namedtuple
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from _harness import RESULTS, read_sections, read_subsection, read_tables

Cell = namedtuple("Cell", "section table row column pattern", defaults=(None,))
Cell.__doc__ = """A table cell of a ``RESULTS.md`` section.

``section`` is a ``## `` heading, or ``"heading > subheading"`` for a ``###``
subsection; ``table`` the table's index there, or its title (the bold line above
it, up to its first " ("); ``row`` the row's first cell, or a tuple of its first
cells; ``column`` a header, or an index where headers repeat; ``pattern`` a regular
expression whose group is the part of the cell to quote (default: the whole cell).
"""
Quote = namedtuple("Quote", "section pattern")
Quote.__doc__ = """The group of a regular expression found in a section's text."""

PATH = "Pruning path vs validation_curve"
COMPACTION = "Compaction latency"
INFERENCE = "Fast inference"
ENGINE = "Prediction engine on sparse input"
DEPLOY = "Deployment: files, latency, int8"
INT8 = "**int8 accuracy**"
BATCH_4096 = "batch 4,096 (ms)"
# The forms of bench_deploy.py, by the key of their substitutions.
DEPLOY_FORMS = {
    "d": "dense",
    "w9": "weight 90%",
    "w7": "weight 97%",
    "n": "neuron 75%, compacted",
}
SIZES = "File size against sparsity"
SPARSE = "Sparse input: hashed text at scale"
TRADEOFF = "Accuracy vs compression (Blalock et al. protocol)"
REGRESSION = "PrunedRegressor: R² dense against 90 % and 97 % sparsity"
STUDY = f"{TRADEOFF} > Defaults at high compression"
COUPLED = "Coupled neuron pruning"
PRETRAINED = "Pruning a trained network"
MEAN = r"^([\d.]+)"
BYTES = r"^([\d,]+)"
RATIO = r"\(([\d.]+x)\)"


def _path_numbers():
    """grid_search.rst and strategies.rst: the pruning path against validation_curve."""
    table = {
        "path_wall_s": ("pruning_curve (path)", "wall s"),
        "vc_wall_s": ("validation_curve", "wall s"),
        "path_speedup": ("pruning_curve (path)", "speed-up (wall)"),
        "path_fits_per_fold": ("pruning_curve (path)", "fits per fold (CPU)"),
    }
    numbers = {name: Cell(PATH, 0, *where) for name, where in table.items()}
    numbers["path_high_diff"] = Quote(PATH, r"validation_curve's by ([+-][\d.]+)")
    return numbers


def _speed_numbers():
    """speed.rst: compaction latency and the fast inference form."""
    numbers = {}
    for key, model in [
        ("dense", "dense"),
        ("m75", "masked 75%"),
        ("c75", "compacted 75%"),
        ("m90", "masked 90%"),
        ("c90", "compacted 90%"),
    ]:
        numbers[f"cmp_{key}_params"] = Cell(COMPACTION, 0, model, "parameters")
        # the speed-up at batch 1024 (the second "speed-up CPU / wall" column)
        numbers[f"cmp_{key}_speedup"] = Cell(COMPACTION, 0, model, 6)
    for key, model in [
        ("w90", "weight 90%"),
        ("w97", "weight 97%"),
        ("w99", "weight 99%"),
        ("n75", "neuron 75%, compacted"),
    ]:
        big = "**hidden 1024-512**"
        numbers[f"inf_big_{key}_speedup"] = Cell(
            INFERENCE, big, model, "speed-up at 4,096"
        )
        numbers[f"inf_{key}_layers"] = Cell(INFERENCE, big, model, "fast form layers")
        if key != "n75":
            numbers[f"inf_small_{key}_speedup"] = Cell(
                INFERENCE, "**hidden 256-128**", model, "speed-up at 4,096"
            )
    numbers["inf_small_aim97"] = Quote(
        INFERENCE, r"- \*\*(met|NOT MET)\*\*: 256-128: >= 3x faster than dense at 97"
    )
    small = "**hidden 256-128**"
    numbers["inf_b1_dense"] = Cell(INFERENCE, small, "dense", "batch 1", r"^(\d+)")
    numbers["inf_b1_dense_forward"] = Cell(
        INFERENCE, small, "dense", "batch 1", r"\((\d+)\)"
    )
    numbers["inf_b1_mlp"] = Cell(INFERENCE, small, "MLPClassifier (dense)", "batch 1")
    return numbers


def _size_numbers():
    """persistence.rst: file sizes of the 256-128 classifier."""
    files = {
        "pickle": "pickle (bytes)",
        "skops": "skops (bytes)",
        "deflate": "skops, deflate (bytes)",
        "torchsave": "torch.save (bytes)",
        "pruned": "save_pruned (bytes)",
    }
    numbers = {}
    for key, sparsity in [("0", "0"), ("90", "0.9"), ("97", "0.97"), ("99", "0.99")]:
        for name, column in files.items():
            row = ("256-128", sparsity)
            numbers[f"size_{key}_{name}"] = Cell(SIZES, 0, row, column, BYTES)
    for name in ("pickle", "skops", "deflate"):
        numbers[f"size_97_{name}_ratio"] = Cell(
            SIZES, 0, ("256-128", "0.97"), files[name], RATIO
        )
    numbers["size_json_bytes"] = Quote(SIZES, r"stays ([\d,]+) bytes larger")
    numbers["size_pruned_vs_torchsave"] = Quote(
        SIZES, r"smaller than torch.save \(256-128: ([\d.]+x)"
    )
    return numbers | _text_size_numbers()


def _text_size_numbers():
    """persistence.rst: the files of the command's text pipeline."""
    text = "**TF-IDF pipeline**"
    rows = {
        "pickle": "pickle, as fitted",
        "skops": "skops, deflate, as fitted",
        "command": "model.skops, as the command writes it",
    }
    numbers = {"size_text_terms": Quote(SIZES, r"builds it: ([\d,]+) terms")}
    for key, row in rows.items():
        numbers[f"size_text_{key}"] = Cell(SIZES, text, row, "bytes")
        if key != "pickle":
            numbers[f"size_text_{key}_entries"] = Cell(SIZES, text, row, "zip entries")
    numbers["size_text_aim"] = Quote(
        SIZES, r"- \*\*(met|NOT MET)\*\*: the command's model.skops of a text"
    )
    return numbers


def _sparse_numbers():
    """large_text.rst: hashed text at scale."""
    cells = {
        "sp20_cpu": (("20,000", "sklprune"), "CPU s / epoch"),
        "sp20_skorch_cpu": (("20,000", "skorch"), "CPU s / epoch"),
        "sp20_wall_speedup": (("20,000", "sklprune"), "speed-up vs skorch"),
        "sp20_accuracy": (("20,000", "sklprune"), "test accuracy"),
        "sp20_skorch_accuracy": (("20,000", "skorch"), "test accuracy"),
        "sp1m_s": (("1,000,000", "sklprune"), "s / epoch"),
        "sp1m_cpu": (("1,000,000", "sklprune"), "CPU s / epoch"),
        "sp1m_mb": (("1,000,000", "sklprune"), "peak MB"),
        "sp100k_s": (("100,000", "sklprune"), "s / epoch"),
        "sp10k_cpu": (("10,000", "sklprune"), "CPU s / epoch"),
        "sp10k_dense_cpu": (("10,000", "sklprune-dense-grad"), "CPU s / epoch"),
        "sp10k_mb": (("10,000", "sklprune"), "peak MB"),
    }
    numbers = {name: Cell(SPARSE, 0, *where) for name, where in cells.items()}
    numbers["sp20_cpu_speedup"] = Quote(SPARSE, r"([\d.]+x) CPU")
    return numbers


def _study_numbers():
    """strategies.rst: the defaults study of bench_tradeoff.py."""
    numbers = {}
    for key, title in [
        ("narrow", "**narrow**"),
        ("d44", "**digits_4x4**"),
        ("bc", "**breast_cancer**"),
        ("dg", "**digits**"),
        ("r3", "**reviews_3class**"),
        ("r2", "**rotten_tomatoes**"),
    ]:
        for column, where in [
            ("dense", ("dense", "1x")),
            ("16", ("default", "16x")),
            ("32", ("default", "32x")),
            ("other32", ("other criterion", "32x")),
        ]:
            numbers[f"st_{key}_{column}"] = Cell(STUDY, title, *where, MEAN)
    narrow, reviews = "**narrow**", "**rotten_tomatoes**"
    numbers["st_narrow_prev32"] = Cell(STUDY, narrow, "previous default", "32x", MEAN)
    numbers["st_r2_small16"] = Cell(STUDY, reviews, "small dense", "16x", MEAN)
    numbers["st_r2_random16"] = Cell(STUDY, reviews, "random, same layers", "16x", MEAN)
    for dataset, key in [("narrow", "narrow"), ("reviews_3class", "r3")]:
        for ratio in (16, 32):
            numbers[f"st_{key}_gap{ratio}"] = Quote(
                TRADEOFF,
                rf"{dataset} {ratio}x: [\d.]+ vs dense [\d.]+(?:, difference | \()"
                r"([+-][\d.]+ ± [\d.]+)",
            )
    numbers["st_aim_narrow"] = Quote(TRADEOFF, r"- \*\*(met|NOT MET)\*\*: \(e\)")
    numbers["st_aim_reviews"] = Quote(TRADEOFF, r"- \*\*(met|NOT MET)\*\*: \(f\)")
    numbers["st_cost_worst"] = Quote(TRADEOFF, r"\(k\) training cost.*?worst ([\d.]+x)")
    numbers["tr_reviews_test_rows"] = Cell(TRADEOFF, 0, "rotten_tomatoes", "test rows")
    return numbers


def _coupled_numbers():
    """own_network.rst: neuron pruning of coupled units and the multiply-add budget."""
    size = "**Compacted weights against the asked sparsity**"
    accuracy = "**Test accuracy**"
    speed = "**Predict time of the compacted network**"
    cnn = "**The CNN of the issue under the multiply-add budget**"
    numbers = {}
    for key, module in [("res", "residual MLP"), ("cat", "two-branch MLP")]:
        row = (module, "0.90")
        numbers[f"cp_{key}90_promised"] = Cell(COUPLED, size, row, "promised")
        numbers[f"cp_{key}90_compacted"] = Cell(COUPLED, size, row, "compacted")
        numbers[f"cp_{key}90_acc"] = Cell(COUPLED, accuracy, row, "coupled")
        numbers[f"cp_{key}90_dense"] = Cell(COUPLED, accuracy, row, "dense")
        numbers[f"cp_{key}90_single"] = Cell(COUPLED, accuracy, row, "single-layer")
        numbers[f"cp_{key}90_speedup"] = Cell(COUPLED, speed, row, "speed-up")
    pruned = '0.75, budget="macs"'
    for key, column in [
        ("macs_removed", "MACs removed"),
        ("widths", "widths"),
        ("acc", "accuracy"),
        ("speedup", "speed-up"),
        ("params", "parameters"),
    ]:
        numbers[f"cp_cnn_{key}"] = Cell(COUPLED, cnn, pruned, column)
    by_weights = '0.75, budget="parameters"'
    for key, column in [
        ("macs_removed", "MACs removed"),
        ("widths", "widths"),
        ("speedup", "speed-up"),
    ]:
        numbers[f"cp_cnn_par_{key}"] = Cell(COUPLED, cnn, by_weights, column)
    numbers["cp_cnn_dense_acc"] = Cell(COUPLED, cnn, "dense", "accuracy")
    numbers["cp_cnn_dense_params"] = Cell(COUPLED, cnn, "dense", "parameters")
    return numbers


def _regression_numbers():
    """regression.rst: PrunedRegressor against its dense fit and its peers."""
    numbers = {}
    models = {
        "dense": "PrunedRegressor, dense",
        "90": "PrunedRegressor, 90%",
        "97": "PrunedRegressor, 97%",
        "mlp": "MLPRegressor",
        "hgb": "HistGradientBoostingRegressor",
    }
    for table, title in [("f1", "**friedman1**"), ("dm", "**diamonds**")]:
        for key, model in models.items():
            numbers[f"reg_{table}_{key}"] = Cell(REGRESSION, title, model, "test R²")
            numbers[f"reg_{table}_{key}_cpu"] = Cell(
                REGRESSION, title, model, "fit CPU s"
            )
            numbers[f"reg_{table}_{key}_bytes"] = Cell(
                REGRESSION, title, model, "pickle bytes"
            )
    for name, claim in [
        ("reg_aim90", "at 90 % sparsity, test R² within"),
        ("reg_aim_mlp", "at 90 % sparsity, test R² not below"),
        ("reg_aim97", "at 97 % sparsity, test R² within"),
    ]:
        numbers[name] = Quote(REGRESSION, rf"- \*\*(met|NOT MET)\*\*: {claim}")
    return numbers


def _pretrained_numbers():
    """own_network.rst: pruning a fitted MLPClassifier, bench_pretrained.py."""
    numbers = {}
    for key, data in [
        ("narrow", "narrow"),
        ("digits", "digits"),
        ("text", "rotten_tomatoes"),
    ]:
        for sparsity, percent in (("0.9", "90"), ("0.97", "97")):
            row = (data, "from the fitted MLP", sparsity)
            numbers[f"pt_{key}_gap{percent}"] = Cell(
                PRETRAINED, 0, row, "vs MLP (points)"
            )
    numbers["pt_narrow_cpu90"] = Cell(
        PRETRAINED, 0, ("narrow", "from the fitted MLP", "0.9"), "fit CPU s"
    )
    numbers["pt_narrow_scratch_cpu90"] = Cell(
        PRETRAINED, 0, ("narrow", "from scratch", "0.9"), "fit CPU s"
    )
    sweep = ("narrow", "0.9")
    numbers["pt_narrow_needed90"] = Cell(
        PRETRAINED, 1, sweep, "epochs to within 1 point"
    )
    numbers["pt_text_two90"] = Cell(
        PRETRAINED, 1, ("rotten_tomatoes", "0.9"), "2 epochs"
    )
    numbers["pt_text_full90"] = Cell(
        PRETRAINED, 1, ("rotten_tomatoes", "0.9"), "43 epochs"
    )
    numbers["pt_aim90"] = Quote(
        PRETRAINED,
        r"- \*\*(met|NOT MET)\*\*: pruning a fitted MLPClassifier to 0.9 sparsity "
        "with the default",
    )
    numbers["pt_untrained"] = Quote(
        PRETRAINED, r"from scratch at 0\.9 \(points: ([^)]*)\)"
    )
    numbers["pt_full"] = Quote(PRETRAINED, r"points vs the MLP: ([^)]*)\)")
    return numbers


def _engine_numbers():
    """speed.rst: the predict engine (bench_deploy.py, bench_predict_engine.py)."""
    latency = "**latency, hidden 256-128**"
    engine = "predict_proba, engine='onnxruntime'"
    faster = "faster than the torch path at 1 / 64 / 4,096"
    forms = {"dense": "d", "w90": "w9", "w97": "w7", "n75": "n"}
    numbers = {
        f"eng_{key}_speedups": Cell(
            DEPLOY, latency, (DEPLOY_FORMS[form], engine), faster
        )
        for key, form in forms.items()
    }
    numbers["eng_sparse_torch"] = Cell(ENGINE, 0, "1,024", "torch faster")
    numbers["eng_sparse_columns"] = Quote(ENGINE, r"rows made dense \(([\d,]+) columns")
    return numbers


def _deploy_numbers():
    """deploying.rst and speed.rst: files, latency and int8 (bench_deploy.py)."""
    files = {
        "pk": "pickle (bytes)",
        "sk": "skops (bytes)",
        "onnx": "ONNX fp32 (bytes)",
        "i8": "ONNX int8 (bytes)",
    }
    engines = {
        "torch": "torch path (engine='torch')",
        "ort": "ONNX Runtime, fp32 file",
        "ort8": "ONNX Runtime, int8 file",
        "peer": "MLPClassifier, skl2onnx + ONNX Runtime",
    }
    numbers = {}
    for size, width in (("s", "256-128"), ("b", "1024-512")):
        for key, form in DEPLOY_FORMS.items():
            name = f"dep_{size}_{key}"
            table = f"**files, hidden {width}**"
            for column, header in files.items():
                numbers[f"{name}_{column}"] = Cell(DEPLOY, table, form, header)
            table = f"**latency, hidden {width}**"
            for column, engine in engines.items():
                row = (form, engine)
                numbers[f"{name}_{column}"] = Cell(
                    DEPLOY, table, row, "batch 4,096 (ms)"
                )
            row = (form, engines["ort"])
            numbers[f"{name}_b1"] = Cell(DEPLOY, table, row, "batch 1 (µs)")
    change = "int8 change (points)"
    for data, key in (("narrow", "n"), ("rotten_tomatoes", "r"), ("digits", "g")):
        for form_key, form in DEPLOY_FORMS.items():
            row = (data, "256-128", form)
            numbers[f"dep_acc_{key}_{form_key}"] = Cell(DEPLOY, INT8, row, change)
    for key, form in (("dense", "dense"), ("w90", "weight 90%")):
        row = ("narrow", "256-128", form)
        numbers[f"int8_{key}_fp32_acc"] = Cell(DEPLOY, INT8, row, "ONNX fp32")
        numbers[f"int8_{key}_int8_acc"] = Cell(DEPLOY, INT8, row, "int8, per matrix")
    return numbers


NUMBERS = {
    **_pretrained_numbers(),
    **_path_numbers(),
    **_speed_numbers(),
    **_engine_numbers(),
    **_deploy_numbers(),
    **_size_numbers(),
    **_sparse_numbers(),
    **_study_numbers(),
    **_coupled_numbers(),
    **_regression_numbers(),
}


def _section(sections, where):
    """The text of a ``heading`` or ``heading > subheading``."""
    heading, _, subsection = where.partition(" > ")
    text = sections[heading]
    return read_subsection(text, subsection) if subsection else text


def _table(text, spec):
    """The table of ``text`` at an index, or under a title."""
    tables = read_tables(text)
    if isinstance(spec, int):
        return tables[spec]
    return next(t for t in tables if t.title.split(" (")[0] == spec)


def _cell(sections, where):
    """The text of a :class:`Cell`."""
    table = _table(_section(sections, where.section), where.table)
    row_key = where.row if isinstance(where.row, tuple) else (where.row,)
    row = next(r for r in table.rows if tuple(r[: len(row_key)]) == row_key)
    column = where.column
    cell = row[column if isinstance(column, int) else table.header.index(column)]
    return re.search(where.pattern, cell).group(1) if where.pattern else cell


def _quote(sections, where):
    """The text of a :class:`Quote`."""
    return re.search(where.pattern, _section(sections, where.section)).group(1)


def read(path=RESULTS):
    """Every name of :data:`NUMBERS` with its text in the results file at ``path``.

    Raises
    ------
    LookupError
        Naming the first name whose number is not where it is looked for.
    """
    sections = read_sections(path)
    found = {}
    for name, where in NUMBERS.items():
        try:
            read_one = _cell if isinstance(where, Cell) else _quote
            found[name] = read_one(sections, where)
        except (KeyError, StopIteration, ValueError, IndexError, AttributeError) as e:
            raise LookupError(f"|{name}|: not found in {path} at {where}") from e
    return found


def rst_prolog(path=RESULTS):
    """Substitution definitions of every benchmark number, for Sphinx's rst_prolog."""
    return "\n".join(
        f".. |{name}| replace:: {text}" for name, text in read(path).items()
    )
