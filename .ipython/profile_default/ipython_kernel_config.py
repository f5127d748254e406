# Kernels started by `make` (the book build, its tests, `make lab`) use this profile
# (the Makefile sets IPYTHONDIR). Output written below Python, straight to file
# descriptors 1 and 2 (TensorFlow's C++ logs), stays in the terminal instead of being
# copied into the notebook: it is noise on the page, and the thread that copies it
# made a cell's stdout arrive twice in one of our builds (a determinism test failure).
c = get_config()  # noqa: F821 - provided by IPython when it loads this file
c.IPKernelApp.capture_fd_output = False
