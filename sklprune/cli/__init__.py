"""The ``sklprune`` command: train, prune and report on a CSV file in one line.

Usage::

    sklprune run   [--train FILE --target COLUMN [--test FILE]] [options]
    sklprune curve [--train FILE --target COLUMN [--test FILE]] [options]

``python -m sklprune`` is the same command. ``sklprune COMMAND --help`` lists every
option.

``sklprune run`` trains a dense reference network (sparsity 0) and a pruned one
(``--sparsity``, ``--strategy``, ``--granularity``, ``--scope``, ``--loss``) with
:class:`~sklprune.PrunedClassifier`, or :class:`~sklprune.PrunedRegressor` for a
regression target (see **Task** below), prints a table that compares them and
writes into ``--out`` (default ``results/``). The table gives accuracy and log-loss
(R², mean absolute error and root mean squared error for regression) on the
training and test rows; parameters and non-zero parameters; sparsity,
compression and multiply-adds per row of the prunable weights
(:func:`~sklprune.sparsity_report`); model size, as saved and in a sparse
encoding (:func:`~sklprune.model_size`), and the size of the model file as
pickled and as written (``model.skops``, or ``model.pkl``); latency per 1000 rows
(:func:`~sklprune.measure_latency`) of ``predict``, of the network alone and of
the network compacted
(:func:`~sklprune.compact`, which removes pruned hidden units: the speed that
``--granularity neuron`` buys), the median of 7 runs taken in turns with the other
model; latency of ``predict_proba`` at batch 1 and 4,096; and the training time.

With the ``onnx`` extra (``pip install 'sklprune[onnx]'``), both pipelines are
also converted to ONNX (:func:`sklprune.onnx.to_onnx`) and the table adds, for
each: accuracy of the ONNX model on the test rows, the share of its labels equal
to ``predict``'s, its file size, and its latency in ONNX Runtime at batch 1 and
4,096 (on ``--threads`` threads, timed in turns with ``predict_proba``).
``--quantize int8`` adds the same for the model whose network's matrix products
are int8 (:func:`sklprune.onnx.quantize_network`), and writes it. The files:

===================  =========================================================
``model.skops``      the fitted pruned pipeline (preprocessing + classifier or
                     regressor); ``model.pkl``, a pickle, when skops is not
                     installed
``model.onnx``       the same pipeline as an ONNX model, for ONNX Runtime
                     (with the ``onnx`` extra)
``model.int8.onnx``  with ``--quantize int8``: its network in int8
``report.json``      data, settings, both models' numbers, per-layer sparsity
``report.csv``       one row per model, the numbers of the table
``layers.csv``       :func:`~sklprune.sparsity_report` of the pruned model
``training.png``     training loss of both models and sparsity, per epoch
``layers.png``       weights and non-zero weights of each pruned layer
``reliability.png``  classification: reliability curves of both models,
                     per-class recall change
``errors.png``       regression: predictions of both models against the true
                     values, mean absolute error by quantile of the target and
                     of the prediction
===================  =========================================================

The table also says whether pruning hurt (:func:`~sklprune.robustness_report` on
the test rows): expected calibration error (15 equal-width bins of the top-class
confidence), Brier score, accuracy under noise added to the network's inputs
(Gaussian, 0.1, 0.25 and 0.5 times each input's standard deviation; for a sparse
TF-IDF input, that share of the non-zero entries dropped) and the class whose
recall pruning lowered most; ``report.json`` holds the whole comparison (per-class
recall and precision, the rows whose prediction changed). For regression the
robustness rows are the spread of the residuals, R² under the same noise, the
quantile of the target whose mean absolute error pruning raised most, and the
number of test rows whose prediction moved by more than a tenth of the test
target's standard deviation; ``report.json`` holds the error per quantile of the
target and of the prediction, and the rows that moved.

The plots need matplotlib, ``model.skops`` needs skops and ``model.onnx`` needs
skl2onnx, onnx and onnxruntime (``pip install 'sklprune[plot,persist,onnx]'``);
without them the command writes everything else, the model as a pickle, and says
in one line what the extras would add.

The model options (``--strategy``, ``--granularity``, ``--scope``, ``--schedule``,
``--loss``, ``--hidden-layer-sizes``, ``--epochs``, ``--finetune-epochs``, ``--lr``,
``--batch-size``) default to :class:`~sklprune.PrunedClassifier`'s own defaults
(:class:`~sklprune.PrunedRegressor`'s for regression: ``--loss`` squared_error).

``sklprune curve`` sweeps ``--sparsities`` along a pruning path with
:func:`~sklprune.pruning_curve`, prints accuracy, expected calibration error and
log-loss (R², mean absolute and root mean squared error for regression) against
sparsity, and writes
``curve.csv``, ``curve.json`` and, with matplotlib, ``curve.png``
(:class:`~sklprune.PruningCurveDisplay`) into ``--out``. With ``--test`` the points
are scored on the test file; without it, by ``--cv``-fold cross-validation on the
training data (stratified for classification).

**Task.** ``--task auto`` (the default) regresses a numeric target that holds a
fractional value or more than 30 distinct whole numbers, and classifies any other
target; ``--task classification`` or ``--task regression`` decides instead.

**Data.** ``--train`` is read with :func:`pandas.read_csv` (``--sep``; ``.gz``,
``.bz2``, ``.zip`` files too). ``--target`` names the column to predict, class
labels or numbers; rows without a value are dropped. Every other column is a
feature: numeric columns are standardised (missing values: the median of the
training rows), other columns are one-hot encoded (missing values: a category of
their own, ``'(missing)'``; the rarest categories beyond 100 share one input), and
the column named by ``--text-column`` is TF-IDF encoded (``--max-features`` terms;
missing text is empty). ``--drop`` leaves columns out. A column that identifies rows
is dropped too: one whose values are unique per row and that holds consecutive
integers or codes without spaces, or is named like an index (``Unnamed: 0``, the
index pandas writes, ``id``, ``index``, ``row``, ``..._id``); ``--keep`` trains on it
anyway. Every column dropped and every value imputed (the column, how many values in
the training and test rows, and what fills them) is said in a note on standard error
and in the ``notes`` of ``report.json``. Without ``--test``, ``run`` holds out a
``--test-size`` share of the rows for testing (stratified by class for
classification), and the output says so. Without ``--train``, a data set bundled
with sklprune is used (``--dataset``, default ``breast_cancer``; ``rotten_tomatoes``
is a text one); see :mod:`sklprune.datasets`.

**Loading the model.** ``model.skops`` holds no pickled code: :mod:`skops.io` loads
it only once you have checked and trusted the types it needs, which are sklprune's
estimator and network and torch's layer classes::

    import skops.io as sio

    untrusted = sio.get_untrusted_types(file="results/model.skops")
    print(untrusted)  # check: numpy.dtype, sklprune.*, torch.nn.modules.* only
    model = sio.load("results/model.skops", trusted=untrusted)
    model.predict(new_rows)  # a DataFrame with the training file's columns

**Running model.onnx.** ONNX Runtime runs it without sklprune, scikit-learn or
torch. It takes one input per feature column, as an ``(n, 1)`` array: numbers as
float32 (a missing number as NaN), categories and text as strings (a missing
category as the empty string). The inputs are named after the columns as skl2onnx
names them (characters other than letters, digits and ``_`` become ``_``); the
model's metadata ``sklprune.columns`` maps each input to its column. It outputs
``label`` and ``probabilities``::

    import json

    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession("results/model.onnx")
    meta = session.get_modelmeta().custom_metadata_map
    columns = json.loads(meta["sklprune.columns"])  # input name -> column
    feed = {}
    for item in session.get_inputs():
        values = new_rows[[columns[item.name]]]
        if item.type == "tensor(float)":
            feed[item.name] = values.to_numpy(np.float32)
        else:  # categories and text; a missing category is ""
            feed[item.name] = values.fillna("").astype(str).to_numpy()
    label, probabilities = session.run(None, feed)

skl2onnx cannot convert one-hot columns whose rarest categories share an input
(more than 100 categories): the command then writes no ``model.onnx`` and says
which columns to leave out. ``report.json`` lists the model's inputs under
``onnx``. See :ref:`deploying` for more.

**Exit status.** 0 on success; 2 for a mistake in the command line or the data,
reported as one line on standard error that names the problem and the fix; 130 when
interrupted. Every file is written to a temporary file first and then renamed, so a
failed or interrupted run never leaves a half-written file.

**Speed.** Training uses ``--threads`` torch threads (default 1, the fastest for
small networks on small batches; raise it for wide layers such as a large TF-IDF
input). A progress bar and skorch's epoch log show on a terminal (standard error),
unless ``--quiet``.
"""

import importlib
import sys

from ._errors import UsageError
from ._interrupt import stop_on_interrupt
from ._parser import build_parser
from ._settings import resolve_settings

# The jobs load torch, so their modules are imported only when one runs: the help
# and the mistakes in a command line are answered without torch.
_JOBS = {"run": ("._run", "run"), "curve": ("._curve", "curve")}


def main(argv=None):
    """Run the ``sklprune`` command.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 2 for a mistake in the command line or the data (one line on
        standard error names it and the fix), 130 when interrupted.

    Examples
    --------
    >>> from sklprune.cli import main
    >>> main(["run", "--sparsity", "1.5"])  # one line on stderr says what is wrong
    2
    """
    try:
        settings = resolve_settings(build_parser().parse_args(argv))
        module, name = _JOBS[settings.command]
        job = getattr(importlib.import_module(module, __name__), name)
        with stop_on_interrupt():
            return job(settings)
    except UsageError as exc:
        message = " ".join(str(exc).split())
        print(f"sklprune: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "sklprune: interrupted; the files already written are complete, and no "
            "partial file is left",
            file=sys.stderr,
        )
        return 130
