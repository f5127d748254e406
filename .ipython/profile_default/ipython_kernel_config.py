# Kernels started by `make` (the book build, its tests, `make lab`) use this profile
# (the Makefile sets IPYTHONDIR). Output written below Python, straight to file
# descriptors 1 and 2 (TensorFlow's C++ logs), stays in the terminal instead of being
# copied into the notebook: it is noise on the page. This setting was once blamed for a
# cell's last print appearing twice; that came from MyST-NB's stream merge instead
# (_ext/stream_merge.py; tools/stream_duplicates.py found no duplicate with either setting).
c = get_config()  # noqa: F821 - provided by IPython when it loads this file
c.IPKernelApp.capture_fd_output = False
