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
- :mod:`lib.widgets` and :mod:`lib.explorers`: sliders with a kernel, and without one
- :mod:`lib.example`: the running example, the question's two sentences
- :mod:`lib.reproducible`: ``setup_chapter()``, the first cell of every chapter
- :mod:`lib.checks` and :mod:`lib.errors`: every input check, and the errors they raise

Importing ``lib`` or any of its modules changes no setting and no environment
variable; :func:`lib.reproducible.setup_chapter` does that, when a chapter asks.
"""

