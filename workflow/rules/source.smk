# Where the workflow's own files are, wherever Snakemake reads it from: a
# checkout, or a module's source (a git repository or a local path, read
# through Snakemake's source cache, which is how snakedeploy deploys it).

import ast
import hashlib
import os
import sys
from pathlib import Path

from snakemake.sourcecache import HostingProviderFile, LocalSourceFile

# The workflow/ folder of this source.
WORKFLOW_SOURCE = workflow.current_basedir.join("..")


def source_file(path):
    """A local path of the workflow's file ``path`` (relative to workflow/)."""
    source = WORKFLOW_SOURCE.join(path)
    if isinstance(source, LocalSourceFile):
        return os.path.normpath(source.get_path_or_uri(secret_free=False))
    return workflow.sourcecache.get_path(source)


def package_folder():
    """The folder that holds the ``regions_connectome`` package of this source.

    A checkout's own folder; for any other source, a copy of the package's
    modules (``__all__`` of its ``__init__``) under .snakemake/, one per source.
    """
    package = WORKFLOW_SOURCE.join("regions_connectome")
    if isinstance(package, LocalSourceFile):
        return Path(source_file(".")).resolve()
    uri = package.get_path_or_uri(secret_free=True)
    folder = Path(
        ".snakemake/regions_connectome/source",
        hashlib.sha256(uri.encode()).hexdigest()[:16],
    )
    init = Path(workflow.sourcecache.get_path(package.join("__init__.py"))).read_text()
    names = next(
        ast.literal_eval(node.value)
        for node in ast.parse(init).body
        if isinstance(node, ast.Assign)
        and getattr(node.targets[0], "id", None) == "__all__"
    )
    (folder / "regions_connectome").mkdir(parents=True, exist_ok=True)
    for name in ["__init__", *names]:
        text = Path(
            workflow.sourcecache.get_path(package.join(f"{name}.py"))
        ).read_text()
        target = folder / "regions_connectome" / f"{name}.py"
        if not target.is_file() or target.read_text() != text:
            # written whole and renamed: a cluster job reading it never sees half a file
            partial = target.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(text)
            partial.replace(target)
    return folder.resolve()


# The package, for this process and the jobs it starts (their scripts run as
# new Python processes, which find it through PYTHONPATH).
PACKAGE = str(package_folder())
sys.path.insert(0, PACKAGE)
os.environ.update(
    PYTHONPATH=os.pathsep.join(filter(None, [PACKAGE, os.environ.get("PYTHONPATH")]))
)


def code_source():
    """Where the running code comes from, for the provenance.

    ``folder``: a checkout's workflow/ folder (its git commit is read when the
    record is written), else None; ``ref``: the module source's tag or
    commit, else None; ``url``: the repository's web address for a hosted git
    source, else None (a local path is no address to share).
    """
    if isinstance(WORKFLOW_SOURCE, LocalSourceFile):
        return {"folder": source_file("."), "ref": None, "url": None}
    ref = next(
        filter(
            None,
            (getattr(WORKFLOW_SOURCE, key, None) for key in ("commit", "tag", "ref")),
        ),
        None,
    )
    url = (
        f"https://{WORKFLOW_SOURCE.host}/{WORKFLOW_SOURCE.repo}"
        if isinstance(WORKFLOW_SOURCE, HostingProviderFile)
        else None
    )
    return {"folder": None, "ref": ref, "url": url}
