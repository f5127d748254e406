"""Tests of lib.doctor: verdicts and per-layer rows on models that leak and models that do not,
the model left unchanged (also when the check raises), the errors, and the command line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import doctor_models as dm
import keras
import numpy as np
import pytest

from lib.doctor import (
    MASKS_OK,
    NO_ATTENTION,
    PADDING_LEAKS,
    MaskReport,
    attention_layers,
    check_model,
    main,
    plot_report,
    synthetic_batch,
)
from lib.errors import MaskError, MaskTypeError
from lib.toy_transformer import ATTENTION_NAMES, ToyTransformer, expected_masks, toy_source_target


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's "will destroy the mask" is expected here
        yield


def rows(report: MaskReport) -> list[tuple[str, bool, bool]]:
    """(role, leak, matches) of every row, the shape most tests assert on."""
    return [(row.role, row.leak, row.matches) for row in report.rows]


def keras_traps() -> bool:
    from lib.toy_transformer import detect_mask_traps

    return detect_mask_traps().model_leaks


# --- models that leak ---------------------------------------------------------------------------


def test_tutorial_style_encoder_decoder_leaks_where_chapter_9_says():
    source, target = toy_source_target()
    model = ToyTransformer(explicit_masks=False)
    report = check_model(model, [source, target])
    assert keras_traps(), "these expectations are for a Keras whose attention clears input masks"
    assert report.verdict == PADDING_LEAKS and not report.ok
    assert [row.layer for row in report.rows] == [
        "encoder[0]['self']", "encoder[1]['self']", "decoder[0]['causal']",
        "decoder[0]['cross']", "decoder[1]['causal']", "decoder[1]['cross']",
    ]
    assert rows(report) == [
        ("self-attention", False, True),
        ("self-attention", True, False),
        ("causal self-attention", False, True),
        ("cross-attention", True, False),
        ("causal self-attention", False, True),   # the causal mask hides the end padding
        ("cross-attention", True, False),
    ]
    # Inputs are named after the call's parameters, and cross-attention pairs target with source.
    assert (report.rows[3].query_input, report.rows[3].key_input) == ("target_ids", "source_ids")
    assert [r.mask_applied for r in report.rows] == [True, False, True, False, True, False]
    assert report.gap > 1e-2
    assert any("chapter 9" in line for line in report.diagnosis())
    # The checker's leaks agree with the model's own record of the masks it applied.
    model(source, target)
    expected = expected_masks(source, target)
    for name, row in zip(ATTENTION_NAMES, report.rows):
        query_ids = source if name.startswith("encoder") else target
        key_ids = target if "causal" in name else source
        real_query = (query_ids != 0)[:, :, None]
        padded_key = (key_ids == 0)[:, None, :]
        assert row.leak == bool((model.masks_seen[name] & real_query & padded_key).any()), name
        assert not (expected[name] & real_query & padded_key).any()


def test_add_after_attention_loses_the_mask_in_a_functional_model():
    report = check_model(dm.guide_model(keras, layers=2), dm.IDS)
    assert report.verdict == PADDING_LEAKS
    assert rows(report) == [("self-attention", False, True), ("self-attention", True, False)]
    first, second = report.rows
    assert first.query_keras_mask and first.key_keras_mask
    assert not second.query_keras_mask and not second.key_keras_mask and not second.mask_applied
    assert second.change > 1e-2 and first.change < 1e-5


def test_custom_layer_that_drops_the_mask():
    report = check_model(dm.mask_dropping_model(), dm.IDS)
    assert report.verdict == PADDING_LEAKS
    assert rows(report) == [("self-attention", True, False)]
    assert "received no mask at all" in " ".join(report.diagnosis())


def test_mask_computed_once_from_one_sentence_and_reused_for_all():
    report = check_model(dm.stack_model("first sentence"), dm.IDS)
    assert report.verdict == PADDING_LEAKS
    # Block 0 still has the Keras masks of the embedding (ANDed in); block 1 has only the bad mask.
    assert [row.layer for row in report.rows] == ["blocks[0].attention", "blocks[1].attention"]
    assert rows(report) == [("self-attention", False, True), ("self-attention", True, False)]
    assert report.rows[1].explicit_mask
    assert "attention_mask that lets real tokens attend to padding" in " ".join(report.diagnosis())


def test_reused_mask_of_a_short_sentence_leaves_real_tokens_with_no_key():
    ids = dm.IDS[::-1].copy()                         # row 0 is now the shortest sentence
    report = check_model(dm.stack_model("first sentence"), ids)
    # The short sentence's mask has all-False rows where the longer sentences have real tokens;
    # Keras's fused attention spreads those rows over every key, padding included.
    assert report.verdict == PADDING_LEAKS
    assert [(row.leak, row.empty_rows, row.hides_real) for row in report.rows] == [(True, True, True)] * 2
    assert report.gap > 1e-3
    assert "spreads their attention evenly over all keys" in " ".join(report.diagnosis())


def test_attention_subclass_that_ignores_its_masks_is_caught_through_keras_code_path():
    class Careless(keras.layers.MultiHeadAttention):
        def _compute_attention_mask(self, query, value, **kwargs):
            return None                               # throws every mask away

    keras.utils.set_random_seed(0)
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(dm.VOCAB, dm.WIDTH, mask_zero=True)(inputs)
    model = keras.Model(inputs, Careless(num_heads=2, key_dim=4)(x, x))
    report = check_model(model, dm.IDS)
    (row,) = report.rows
    assert row.query_keras_mask and row.key_keras_mask   # the masks arrived ...
    assert not row.mask_applied and row.leak             # ... and the layer applied none
    assert report.verdict == PADDING_LEAKS


def test_nested_blocks_relying_on_keras_masks_leak_after_a_plus():
    report = check_model(dm.stack_model("automatic"), dm.IDS)
    assert report.verdict == PADDING_LEAKS
    assert rows(report) == [("self-attention", False, True), ("self-attention", True, False)]


# --- models that do not leak --------------------------------------------------------------------


def test_explicit_masks_encoder_decoder_is_ok():
    source, target = toy_source_target()
    report = check_model(ToyTransformer(explicit_masks=True), [source, target])
    assert report.verdict == MASKS_OK and report.ok
    assert rows(report) == [
        ("self-attention", False, True),
        ("self-attention", False, True),
        ("causal self-attention", False, True),   # causal pattern carried by the explicit mask
        ("cross-attention", False, True),
        ("causal self-attention", False, True),
        ("cross-attention", False, True),
    ]
    assert all(row.explicit_mask and not row.causal_flag for row in report.rows)
    assert report.gap < 1e-5
    assert report.lengths == {"source_ids": [6, 8, 11], "target_ids": [7, 9, 12]}


def test_single_attention_layer_with_automatic_masks_is_ok():
    report = check_model(dm.guide_model(keras, layers=1), dm.IDS)
    assert report.verdict == MASKS_OK
    (row,) = report.rows
    assert row.query_keras_mask and row.key_keras_mask and not row.explicit_mask
    assert (row.matches, row.leak) == (True, False)
    assert row.change < 1e-6   # float rounding only: 2.8e-9 was seen on a loaded CI machine


def test_nested_blocks_with_explicit_masks_are_ok():
    report = check_model(dm.stack_model("explicit"), dm.IDS)
    assert report.verdict == MASKS_OK
    assert rows(report) == [("self-attention", False, True)] * 2


def test_decoder_with_only_a_causal_mask_on_unpadded_ids_is_not_flagged():
    report = check_model(dm.causal_decoder(keras), dm.UNPADDED, allow_unpadded=True)
    assert report.verdict == MASKS_OK
    (row,) = report.rows
    assert row.role == "causal self-attention" and row.causal_flag
    assert row.mask_applied and row.matches and not row.leak
    assert report.gap < 1e-5


def test_decoder_with_only_a_causal_mask_on_end_padded_ids_is_ok():
    report = check_model(dm.causal_decoder(keras), dm.IDS)
    assert report.verdict == MASKS_OK
    assert rows(report) == [("causal self-attention", False, True)]


def test_fixed_length_model_checks_masks_only():
    report = check_model(dm.fixed_length_model(keras), dm.IDS)
    assert report.verdict == MASKS_OK and report.gap is None
    assert any("fixed length" in note for note in report.notes)


def test_model_without_attention():
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(dm.VOCAB, 4, mask_zero=True)(inputs)
    report = check_model(keras.Model(inputs, keras.layers.Dense(3)(x)), dm.IDS)
    assert report.verdict == NO_ATTENTION and report.ok and report.rows == []
    assert report.gap == 0.0


def test_automatic_masks_on_tf_keras_survive_two_layers():
    tf_keras = pytest.importorskip(
        "tf_keras", reason="tf-keras (the Keras 2 API) is not installed in this environment"
    )
    report = check_model(dm.guide_model(tf_keras, layers=2), dm.IDS)
    assert report.keras_version.startswith("tf_keras ")
    assert report.verdict == MASKS_OK
    assert rows(report) == [("self-attention", False, True)] * 2
    assert all(row.query_keras_mask and row.key_keras_mask for row in report.rows)


def test_tf_keras_model_with_a_lost_mask_leaks():
    tf_keras = pytest.importorskip(
        "tf_keras", reason="tf-keras (the Keras 2 API) is not installed in this environment"
    )
    tf_keras.utils.set_random_seed(0)
    inputs = tf_keras.Input((None,), dtype="int32")
    x = tf_keras.layers.Embedding(dm.VOCAB, dm.WIDTH)(inputs)      # no mask_zero: no mask
    x = tf_keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    report = check_model(tf_keras.Model(inputs, x), dm.IDS)
    assert report.verdict == PADDING_LEAKS
    assert rows(report) == [("self-attention", True, False)]


# --- the model is left as it was ----------------------------------------------------------------


def _state(model):
    layers = attention_layers(model)
    return (
        [w.copy() for w in model.get_weights()],
        [sorted(vars(layer)) for _, layer in layers],
    )


def _assert_unchanged(model, before):
    weights, attributes = _state(model)
    assert len(weights) == len(before[0])
    assert all(np.array_equal(a, b) for a, b in zip(weights, before[0]))
    assert attributes == before[1]
    for _, layer in attention_layers(model):
        assert "call" not in vars(layer) and "_compute_attention_mask" not in vars(layer)
        assert layer.call.__func__ is type(layer).call
        assert layer._compute_attention_mask.__func__ is type(layer)._compute_attention_mask


def test_check_leaves_weights_and_call_path_unchanged():
    model = ToyTransformer(explicit_masks=False)
    source, target = toy_source_target()
    output = np.asarray(model(source, target))
    before = _state(model)
    check_model(model, [source, target])
    _assert_unchanged(model, before)
    assert np.array_equal(np.asarray(model(source, target)), output)


def test_check_leaves_the_model_unchanged_when_it_raises():
    model = dm.Broken.build()
    output = np.asarray(model(dm.IDS))
    before = _state(model)
    with pytest.raises(MaskError, match="inputs with padding appended.*at most 6 tokens"):
        check_model(model, dm.IDS)                  # the appended padding makes it raise
    _assert_unchanged(model, before)
    assert np.array_equal(np.asarray(model(dm.IDS)), output)
    report = check_model(model, dm.IDS, extra_lengths=())
    assert report.verdict == MASKS_OK and report.gap is None


# --- bad input ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_model():
    return dm.guide_model(keras, layers=1)


def test_float_ids_are_refused(small_model):
    with pytest.raises(MaskTypeError, match=r"`inputs`: expected an integer dtype \(token ids\), received dtype float"):
        check_model(small_model, dm.IDS.astype("float32"))


def test_three_dimensional_ids_are_refused(small_model):
    with pytest.raises(MaskError, match=r"`inputs`: expected rank 2 .*received rank 3"):
        check_model(small_model, dm.IDS[None])


def test_wrong_number_of_inputs_is_refused(small_model):
    with pytest.raises(MaskError, match=r"expected 1 id matrix for the model's inputs .*received 2"):
        check_model(small_model, [dm.IDS, dm.IDS])


def test_pad_id_that_never_occurs_is_refused(small_model):
    with pytest.raises(MaskError, match=r"`pad_id`: expected an id that pads .*pad_id=7, which never occurs"):
        check_model(small_model, dm.IDS, pad_id=7)
    with pytest.raises(MaskTypeError, match=r"`pad_id`: expected an integer token id, received '0'"):
        check_model(small_model, dm.IDS, pad_id="0")


def test_inputs_of_different_batch_sizes_are_refused():
    with pytest.raises(MaskError, match=r"same batch size B .*received batch sizes"):
        check_model(ToyTransformer(), [dm.IDS, dm.IDS[:2]])


def test_model_that_cannot_be_called_on_the_inputs(small_model):
    ids = np.array([[3, 40, 0]])                   # 40 is outside the vocabulary of 12
    with pytest.raises(MaskError, match=r"`model`: expected a model that can be called on the given inputs"):
        check_model(small_model, ids)


def test_not_a_model_and_unbuilt_models_are_refused():
    with pytest.raises(MaskTypeError, match=r"`model`: expected a Keras model or layer, received numpy"):
        check_model(np.zeros(3), dm.IDS)
    unbuilt = dm._layers()("explicit")
    with pytest.raises(MaskError, match=r"(?s)`model`: expected a built model.*Call it once"):
        check_model(unbuilt, dm.IDS)


# --- the report as the reader sees it ---------------------------------------------------------


def test_report_renders_as_text_html_and_figure():
    import matplotlib

    matplotlib.use("Agg")
    report = check_model(dm.guide_model(keras, layers=2), dm.IDS)
    text = str(report)
    assert text.splitlines()[0].startswith("verdict: padding leaks")
    assert "multi_head_attention" in text and "LEAK" in text
    page = report._repr_html_()
    assert page.count("<tr>") == 1 + len(report.rows)
    assert "09_vanishing_masks.html#the-fix-masks-from-the-token-ids" in page
    assert "class='doctor-bad'" in page
    fig = plot_report(report)
    words = [t.get_text() for t in fig.axes[0].texts]
    # row 1 fine on all four questions; row 2: no mask, wrong, leaks, output moved
    assert words == ["✓ yes"] * 4 + ["✗ no"] * 4
    with pytest.raises(MaskTypeError, match="a MaskReport"):
        plot_report("report")


def test_synthetic_batch_is_padded_and_reproducible():
    first = synthetic_batch(2, 8, vocabulary=20, pad_id=0, batch=5, seed=3)
    again = synthetic_batch(2, 8, vocabulary=20, pad_id=0, batch=5, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    source, target = first
    assert source.shape == (5, 8) and (source[0] != 0).all() and (source == 0).any()
    assert np.array_equal(source == 0, target == 0)
    assert source.max() < 20
    with pytest.raises(MaskError, match=r"`length`: expected a whole number of at least 2"):
        synthetic_batch(1, 1, vocabulary=20)


# --- the command line ---------------------------------------------------------------------------


def _doctor(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lib.doctor", *args], cwd=cwd, capture_output=True, text=True,
        timeout=300,
    )


LAYERS_MODULE = '''
import keras

@keras.saving.register_keras_serializable(package="doctor_test")
class Scale(keras.layers.Layer):
    """Multiplies by two; no compute_mask, so it drops the Keras mask."""
    def call(self, x):
        return x * 2.0
'''


def _doctor_here(args: list[str], capsys) -> tuple[int, str, str]:
    """The command line run in this process (no second TensorFlow start-up): status, out, err."""
    status = main(args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.slow
def test_command_line_on_saved_models(tmp_path, capsys):
    dm.guide_model(keras, layers=2).save(tmp_path / "leaky.keras")
    dm.guide_model(keras, layers=1).save(tmp_path / "fine.keras")

    # As a reader runs it: a new process, `python -m lib.doctor`, exit status 1 on a leak.
    leaky = _doctor(str(tmp_path / "leaky.keras"), "--length", "12", cwd=tmp_path)
    assert leaky.returncode == 1, leaky.stderr
    assert "verdict: padding leaks" in leaky.stdout and "LEAK" in leaky.stdout
    assert "length 12" in leaky.stdout and "Traceback" not in leaky.stderr

    status, out, err = _doctor_here([str(tmp_path / "fine.keras"), "--length", "12",
                                     "--pad-id", "0"], capsys)
    assert status == 0, err
    assert "verdict: masks ok" in out


@pytest.mark.slow
def test_command_line_imports_custom_layers(tmp_path, capsys, monkeypatch):
    (tmp_path / "doctor_layers.py").write_text(textwrap.dedent(LAYERS_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    import doctor_layers

    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(dm.VOCAB, dm.WIDTH, mask_zero=True)(inputs)
    x = doctor_layers.Scale()(x)
    model = keras.Model(inputs, keras.layers.MultiHeadAttention(2, 4)(x, x))
    model.save(tmp_path / "custom.keras")

    # A new process has not registered Scale: loading fails, in one line.
    without = _doctor("custom.keras", "--length", "8", cwd=tmp_path)
    assert without.returncode == 2
    assert without.stderr.startswith("error: `model`: expected a .keras file")
    assert "--import" in without.stderr
    # lib's two-layer message (the cause, then the hint, wrapped), never a traceback
    assert "Traceback (most recent call last)" not in without.stderr
    assert all(line.startswith("  ") for line in without.stderr.strip().splitlines()[1:])

    monkeypatch.chdir(tmp_path)
    status, out, err = _doctor_here(["custom.keras", "--length", "8", "--import", "doctor_layers"],
                                    capsys)
    assert status == 1, err
    assert "verdict: padding leaks" in out
    assert any(line.startswith("warning: Layer '") and "(of type Scale)" in line
               and "destroy the mask" in line for line in err.splitlines())
    status, out, err = _doctor_here(["custom.keras", "--length", "8", "--import", "no_such_mod"],
                                    capsys)
    assert status == 2
    assert err.startswith("error: `--import`: expected an importable module, received 'no_such_mod'")


def test_command_line_errors_are_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = _doctor_here(["nowhere.keras", "--length", "8"], capsys)
    assert status == 2 and out == ""
    assert err.strip() == (
        "error: `model`: expected the path of a saved .keras file, received 'nowhere.keras'."
    )
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    helped = capsys.readouterr().out
    assert exited.value.code == 0
    for option in ("--length", "--pad-id", "--import", "Exit status"):
        assert option in helped


def test_functional_encoder_decoder_with_named_inputs_is_ok():
    source = dm.IDS
    target = np.array([[7, 3, 1, 4, 0], [7, 2, 0, 0, 0], [7, 5, 3, 8, 2]], dtype="int32")
    report = check_model(dm.functional_encoder_decoder(keras), {"source": source, "target": target})
    assert report.verdict == MASKS_OK
    (row,) = report.rows
    assert (row.role, row.query_input, row.key_input) == ("cross-attention", "target", "source")
    assert row.query_keras_mask and row.key_keras_mask and row.matches
    assert report.lengths == {"source": [6, 8, 11], "target": [5, 7, 10]}


def test_cross_attention_given_the_targets_own_mask_leaks():
    # Same lengths on both sides, so the wrong mask has the right shape; the check appends
    # different amounts of padding to each input, so lengths still tell them apart.
    source = np.array([[3, 1, 0, 0, 0], [2, 6, 5, 4, 0]], dtype="int32")
    target = np.array([[7, 3, 1, 4, 0], [7, 2, 0, 0, 0]], dtype="int32")
    model = dm.functional_encoder_decoder(keras, explicit_cross_from_target=True)
    report = check_model(model, {"source": source, "target": target}, extra_lengths=())
    (row,) = report.rows
    assert row.unsure                  # equal lengths, no padding appended, no Keras masks
    assert any("could not be told apart" in note for note in report.notes)
    assert any("could not be told apart" in line for line in report.diagnosis())
    with pytest.raises(MaskError, match="inputs with padding appended"):
        check_model(model, {"source": source, "target": target})


def test_keras_masks_tell_equal_length_inputs_apart():
    source = np.array([[3, 1, 0, 0, 0], [2, 6, 5, 4, 0]], dtype="int32")
    target = np.array([[7, 3, 1, 4, 0], [7, 2, 0, 0, 0]], dtype="int32")
    report = check_model(dm.functional_encoder_decoder(keras), {"source": source, "target": target},
                         extra_lengths=())
    (row,) = report.rows
    assert not row.unsure and (row.query_input, row.key_input) == ("target", "source")
    assert report.verdict == MASKS_OK and report.gap is None
