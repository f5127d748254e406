"""`lib`: the small package behind the book *Attention Masks, Step by Step*.

Each module owns one idea of the walk; a chapter imports the piece it teaches:

- :mod:`lib.vocab`: words to token ids with ``LabelEncoder`` (+1, so 0 is padding)
- :mod:`lib.padding`: token-id lists to a (B, S) matrix; ``PAD_ID``
- :mod:`lib.masks`: padding mask, expansions, self-, cross- and causal attention masks
- :mod:`lib.shapes`: broadcasting, axis by axis
- :mod:`lib.attention`: ``MultiHeadAttention`` with a mask, and a NumPy reference
- :mod:`lib.conventions`: masks of PyTorch, Hugging Face and older tutorials, converted
- :mod:`lib.toy_transformer`: the tutorial-style model whose automatic masks vanish
- :mod:`lib.memory` and :mod:`lib.timing`: what a mask costs, computed and measured
- :mod:`lib.playground`: every mask of the book for sentences of your own
- :mod:`lib.plots`: one heatmap helper for every mask and weight matrix, and the cost figures
- :mod:`lib.mask_behaviour` and :mod:`lib.version_matrix`: what each Keras version does with
  masks, measured, and the table of it
- :mod:`lib.frameworks`: the same mask in Hugging Face ``tokenizers`` and JAX
- :mod:`lib.doctor`: checks a reader's own model for padding leaks (``python -m lib.doctor``)
- :mod:`lib.widgets`: live-notebook sliders (ipywidgets) that redraw a figure
- :mod:`lib.explorer_kit`: what every kernel-free explorer is made of; the explorers are
  :mod:`lib.text_explorers` (chapters 1-3), :mod:`lib.explorers` (4-6),
  :mod:`lib.causal_explorers` (7-8) and :mod:`lib.practice_explorers` (9-11)
- :mod:`lib.example`: the running example, the accepted answer's two sentences
- :mod:`lib.reproducible`: ``setup_chapter()``, the first cell of every chapter
- :mod:`lib.checks` and :mod:`lib.errors`: every input check, and the errors they raise

Importing ``lib`` or any of its modules changes no setting and no environment
variable; :func:`lib.reproducible.setup_chapter` does that, when a chapter asks.
"""

