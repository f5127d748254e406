"""Chapter 9: Keras masks that vanish, and the padding-invariance test of the toy Transformer.

The expectations follow the installed Keras, as detected by ``detect_mask_traps``: with the trap
(Keras >= 3.8) the model without explicit masks must fail the test; without it, it must pass.
The model with explicit masks must pass on every version.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from lib.errors import MaskError, MaskTypeError
from lib.padding import pad_batch
from lib.toy_transformer import (
    ATTENTION_NAMES,
    MaskTraps,
    ToyTransformer,
    attention_names,
    detect_mask_traps,
    expected_masks,
    keras_mask,
    padding_invariance_gap,
    plot_masks_seen,
    toy_source_target,
)

TOLERANCE = 1e-5
"""Float32 rounding between a batch of 2 and a batch of 1; far below any masking error."""

LEAK = 1e-2
"""A gap this large means padding reached a real position."""


def _version() -> tuple[int, int]:
    major, minor = keras.__version__.split(".")[:2]
    return int(major), int(minor)


@pytest.fixture(scope="module")
def traps() -> MaskTraps:
    return detect_mask_traps()


@pytest.fixture(scope="module")
def models() -> dict[bool, ToyTransformer]:
    return {flag: ToyTransformer(explicit_masks=flag) for flag in (False, True)}


def test_detection_matches_the_keras_version(traps):
    assert traps.keras_version == keras.__version__
    if _version() >= (3, 8):
        assert traps.attention_clears_input_mask
    if _version() >= (3, 0):
        assert traps.add_drops_partial_mask
    assert traps.keras_version in traps.describe()


def test_attention_output_carries_the_query_mask():
    embedded = keras.layers.Embedding(10, 4, mask_zero=True)(np.array([[1, 3, 6, 0]]))
    assert keras_mask(embedded).numpy().tolist() == [[True, True, True, False]]
    output = keras.layers.MultiHeadAttention(num_heads=2, key_dim=2)(embedded, embedded)
    assert keras_mask(output).numpy().tolist() == [[True, True, True, False]]


def test_add_of_two_masked_inputs_keeps_the_mask():
    layer = keras.layers.Embedding(10, 4, mask_zero=True)
    first, second = layer(np.array([[1, 0]])), layer(np.array([[2, 0]]))
    assert keras_mask(keras.layers.Add()([first, second])).numpy().tolist() == [[True, False]]
    assert keras_mask(second + 0.0) is None      # a TensorFlow op: the result has no Keras mask


def test_same_seed_same_weights(models):
    weights = [model.get_weights() for model in models.values()]
    assert len(weights[0]) == len(weights[1]) > 0
    assert all(np.array_equal(a, b) for a, b in zip(*weights))


@pytest.mark.parametrize("length", [None, 9])
@pytest.mark.parametrize("index", [0, 1])
def test_explicit_masks_make_the_model_padding_invariant(models, length, index):
    source, target = toy_source_target(length)
    assert padding_invariance_gap(models[True], source, target, index) < TOLERANCE


def test_automatic_masks_fail_the_test_exactly_when_keras_has_the_trap(models, traps):
    source, target = toy_source_target()
    gap = padding_invariance_gap(models[False], source, target, index=1)
    if traps.model_leaks:
        assert gap > LEAK, f"{traps.describe()} but the gap is only {gap:.2e}"
    else:
        assert gap < TOLERANCE, f"{traps.describe()} but the gap is {gap:.2e}"


def test_masks_seen_by_each_attention(models, traps):
    source, target = toy_source_target()
    expected = expected_masks(source, target)
    for flag, model in models.items():
        model(source, target)
        assert list(model.masks_seen) == list(ATTENTION_NAMES)
        for name in ATTENTION_NAMES:
            same = np.array_equal(model.masks_seen[name], expected[name])
            if flag or not traps.model_leaks or name == "encoder 1 self-attention":
                assert same, (flag, name)
    if traps.model_leaks:
        seen = models[False].masks_seen
        # the second cross-attention sees no mask at all: every key of the short sentence, pads included
        assert seen["decoder 2 cross-attention"][1].all()


@pytest.mark.filterwarnings("ignore:.*does not support masking:UserWarning")
def test_simulated_keras_without_the_clearing(monkeypatch):
    """Keras < 3.8 did not clear input masks; simulate it and the automatic masks must suffice."""
    backend = pytest.importorskip("keras.src.backend")
    original = backend.set_keras_mask

    def set_unless_clearing(tensor, mask):
        if mask is not None:
            original(tensor, mask)

    monkeypatch.setattr(backend, "set_keras_mask", set_unless_clearing)
    traps = detect_mask_traps()
    assert not traps.attention_clears_input_mask and not traps.model_leaks
    source, target = toy_source_target()
    model = ToyTransformer(explicit_masks=False)
    assert padding_invariance_gap(model, source, target, index=1) < TOLERANCE


def test_errors_say_what_was_expected_and_received(models):
    source, target = toy_source_target()
    with pytest.raises(MaskError, match=r"`index`: expected an int from 0 to 1, received 2"):
        padding_invariance_gap(models[True], source, target, index=2)
    with pytest.raises(MaskError, match=r"`target_ids`: expected the same batch size B=2 as "
                                        r"`source_ids` \(2, 6\), received B=1 \(shape \(1, 7\)\)"):
        padding_invariance_gap(models[True], source, target[:1], index=0)
    with pytest.raises(MaskTypeError, match=r"`explicit_masks`: expected True or False, received str 'yes'"):
        ToyTransformer(explicit_masks="yes")
    with pytest.raises(MaskError, match=r"`num_layers`: expected an int >= 1, received 0"):
        ToyTransformer(num_layers=0)
    with pytest.raises(MaskError, match=r"`d_model`: expected an even int"):
        ToyTransformer(d_model=7, num_heads=1)


def test_padding_invariance_gap_refuses_pre_padded_batches(models):
    """On a pre-padded batch it once compared the wrong positions and reported a false gap."""
    source, target = toy_source_target()
    pre_source = pad_batch([[1, 3, 2, 7, 4, 5], [1, 3, 6]], padding="pre")
    with pytest.raises(MaskError, match=r"`source_ids`: expected post-padded rows .*, received "
                                        r"padding before a real token in row\(s\) \[1\]"):
        padding_invariance_gap(models[True], pre_source, target, index=0)


@pytest.mark.parametrize("num_layers", [1, 3])
def test_attention_names_follow_num_layers(num_layers):
    """num_layers=1 once labelled the decoder's causal mask "encoder 2"; 3 raised StopIteration."""
    model = ToyTransformer(explicit_masks=True, num_layers=num_layers)
    source, target = toy_source_target()
    model(source, target)
    names = attention_names(num_layers)
    assert list(model.masks_seen) == list(names) == list(model.attention_names)
    assert len(names) == 3 * num_layers
    assert names[num_layers] == "decoder 1 causal self-attention"
    expected = expected_masks(source, target, num_layers)
    assert all(np.array_equal(model.masks_seen[name], expected[name]) for name in names)
    assert padding_invariance_gap(model, source, target, index=1) < TOLERANCE
    model(source, target)          # the gap ran the sentence alone last: the batch again
    fig = plot_masks_seen(model.masks_seen, 1, ["w"] * 6, ["w"] * 7)
    assert len(fig.axes) == 3 * num_layers
    assert [ax.get_title() for ax in fig.axes[:3]] == [
        "encoder 1 self-attention", "decoder 1 causal self-attention", "decoder 1 cross-attention"]


def test_plot_masks_seen_refuses_what_it_cannot_lay_out(models):
    source, target = toy_source_target()
    models[True](source, target)
    with pytest.raises(MaskError, match=r"`index`: expected an int from 0 to 1, received 5"):
        plot_masks_seen(models[True].masks_seen, 5, ["w"] * 6, ["w"] * 7)
    with pytest.raises(MaskError, match=r"`row_labels`: expected 6 labels, one per row, received 2"):
        plot_masks_seen(models[True].masks_seen, 1, ["w"] * 2, ["w"] * 7)
    with pytest.raises(MaskError, match=r"`masks_seen`: expected the masks of attention_names\(1\)"):
        plot_masks_seen({"a": 1, "b": 2, "c": 3}, 0, [], [])
