"""What StreamLoader's fork server imports last, after `pipeline.stream` and the main module.

A worker runs the program's main module again before it unpickles anything (multiprocessing's
spawn rule), with `runpy.run_module(NAME, run_name="__mp_main__")`. When the server has imported
that module already (`pipeline.stream.dataset.main_module`), runpy warns on every worker start that
NAME "found in sys.modules ... may result in unpredictable behaviour": the worker then holds the
server's copy under NAME and its own as `__main__`, as the training process itself holds
`__main__` and any `import NAME` apart. Workers inherit the server's warning filters, so the
server silences that one message, once, here; nothing else imports this module.
"""

import warnings

warnings.filterwarnings(
    "ignore", message=r"'[\w.]+' found in sys\.modules after import of package", category=RuntimeWarning
)
