"""Code written for upstream spacekit 1.1.4 fails with a message naming what to use, never a bare
``ModuleNotFoundError`` or ``cannot import name`` (spacekit.utils.upstream_api)."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import spacekit
from spacekit.exceptions import SpacekitError, UpstreamAPIError
from spacekit.utils.upstream_api import MODULES, NAMES, STUBS

PKG = Path(spacekit.__file__).parent
DOC = PKG.parent / "docs" / "upstream.rst"

#: Every module of the upstream 1.1.4 wheel (``spacekit-1.1.4-py3-none-any.whl``).
UPSTREAM_MODULES = """
analyzer analyzer.compute analyzer.explore analyzer.scan analyzer.track analyzer.validate
builder builder.architect builder.blueprints builder.trained_networks
dashboard dashboard.cal dashboard.cal.app dashboard.cal.config dashboard.cal.eda
dashboard.cal.eval dashboard.cal.index dashboard.cal.nodegraph dashboard.cal.pred dashboard.svm
dashboard.svm.app dashboard.svm.config dashboard.svm.eda dashboard.svm.eval dashboard.svm.index
dashboard.svm.pred datasets datasets._base datasets.beam datasets.meta extractor extractor.load
extractor.radio extractor.scrape generator generator.augment generator.draw logger logger.log
preprocessor preprocessor.encode preprocessor.ingest preprocessor.prep preprocessor.scrub
preprocessor.transform skopes skopes.hst skopes.hst.cal skopes.hst.cal.config
skopes.hst.cal.predict skopes.hst.cal.train skopes.hst.cal.validate skopes.hst.svm
skopes.hst.svm.corrupt skopes.hst.svm.predict skopes.hst.svm.prep skopes.hst.svm.train
skopes.jwst skopes.jwst.cal skopes.jwst.cal.config skopes.jwst.cal.predict skopes.jwst.cal.train
skopes.kepler skopes.kepler.light_curves
""".split()

#: Public names of the upstream modules that exist here too (from the 1.1.4 wheel).
UPSTREAM_NAMES = {
    "spacekit.datasets": "scrape_archives load_from_archive load_cal load_svm load_k2 "
    "load_jwst_cal import_collection load download_single_archive",
    "spacekit.analyzer.explore": "ImagePreviews SVMPreviews DataPlots HstSvmPlots HstCalPlots "
    "SignalPlots K2SignalPlots",
    "spacekit.skopes.hst.cal.predict": "load_pretrained_model Predict local_handler lambda_handler",
    "spacekit.skopes.hst.cal.train": "Train make_timestamp_path scrape_dynamodb parse_user_args",
    "spacekit.skopes.hst.svm.corrupt": "pick_random_exposures pick_random_filter "
    "find_filter_files modify_paths pick_random_subset set_lambda_threshold static_augment "
    "static_corruption stochastic_augment stochastic_corruption print_corruptions "
    "run_header_corruption multiple_permutations run_svm generate_images all_permutations "
    "get_datasets make_process_config run_corrupt run_svm_alignment run_image_gen run_blocks "
    "run_pipes",
    "spacekit.skopes.hst.svm.predict": "load_mixed_inputs classification_report "
    "classify_alignments predict_alignment",
    "spacekit.skopes.hst.svm.prep": "run_preprocessing",
    "spacekit.skopes.hst.svm.train": "make_ensembles load_ensemble_data train_ensemble "
    "compute_results run_training",
    "spacekit.skopes.jwst.cal.predict": "load_pretrained_model JwstCalPredict predict_handler",
    "spacekit.skopes.jwst.cal.train": "JwstCalTrain",
}


def _says_what_to_use(exc: BaseException) -> None:
    text = str(exc)
    assert "upstream spacekit 1.1.4" in text and "docs/upstream.rst" in text, text
    assert re.search(r"use .*spacekit", text), text


@pytest.mark.parametrize("module", [f"spacekit.{m}" for m in UPSTREAM_MODULES])
def test_every_upstream_module_imports_or_says_what_to_use(module):
    try:
        importlib.import_module(module)
    except UpstreamAPIError as exc:
        _says_what_to_use(exc)
        assert isinstance(exc, ImportError) and isinstance(exc, SpacekitError)
        assert any(module == s or module.startswith(s + ".") for s in STUBS)


@pytest.mark.parametrize(
    ("module", "name"), [(m, n) for m, names in UPSTREAM_NAMES.items() for n in names.split()]
)
def test_every_upstream_name_imports_or_says_what_to_use(module, name):
    code = f"from {module} import {name}"
    try:
        exec(code, {})
    except UpstreamAPIError as exc:  # not Python's bare "cannot import name"
        _says_what_to_use(exc)
        assert f"{module}.{name}" in str(exc)
    # attribute access says the same
    mod = importlib.import_module(module)
    if name in NAMES.get(module, {}):
        with pytest.raises(UpstreamAPIError, match="docs/upstream.rst"):
            getattr(mod, name)


def test_the_message_names_the_replacement():
    with pytest.raises(ImportError, match=r"spacekit\.computer: make_report"):
        from spacekit.analyzer.compute import ComputeBinary  # noqa: F401
    with pytest.raises(ImportError, match=r"\(scrape\) S3: spacekit\.radio\.s3_read_text"):
        from spacekit.extractor.scrape import S3Scraper  # noqa: F401
    with pytest.raises(ImportError, match=r"load\('k2_exoplanet_train'\)"):
        from spacekit.datasets import load_k2  # noqa: F401
    with pytest.raises(ImportError, match=r"import-upstream"):
        from spacekit.skopes.jwst.cal.predict import JwstCalPredict  # noqa: F401


def test_other_missing_names_stay_plain_attribute_errors():
    import spacekit.datasets as datasets
    import spacekit.skopes.hst.cal.predict as predict

    assert not hasattr(datasets, "no_such_name") and not hasattr(predict, "no_such_name")
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        datasets.no_such_name  # noqa: B018
    # the package's own lazy names still resolve
    from spacekit.skopes.hst.cal.predict import CalPredictor, lambda_handler  # noqa: F401


def test_stub_files_match_the_table():
    found = set()
    for path in PKG.rglob("*.py"):
        if "removed_module(__name__)" in path.read_text(encoding="utf-8").split('"""')[-1]:
            rel = path.relative_to(PKG.parent).with_suffix("").parts
            found.add(".".join(rel[:-1] if rel[-1] == "__init__" else rel))
    assert found == set(STUBS)
    for module in MODULES:  # every entry is reached through a stub
        assert any(module == s or module.startswith(s + ".") for s in STUBS), module


def test_jwst_train_module_keeps_the_package_function():
    code = (
        "import inspect\n"
        "from spacekit.skopes.jwst.cal.app import train as fn\n"
        "import spacekit.skopes.jwst.cal.train\n"
        "from spacekit.skopes.jwst.cal import train\n"
        "print(callable(train), str(inspect.signature(train)) == str(inspect.signature(fn)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True"]


def test_the_migration_guide_lists_every_entry():
    text = DOC.read_text(encoding="utf-8")
    missing = [m for m in MODULES if f"``{m}``" not in text]
    for module, names in NAMES.items():
        missing += [module] if f"``{module}``" not in text else []
        if len(set(names.values())) > 1:  # names with replacements of their own are named
            missing += [f"{module}.{n}" for n in names if f"``{n}``" not in text]
    assert not missing, f"docs/upstream.rst lacks {missing}"


# -- model folders ---------------------------------------------------------------------------
def test_missing_jwst_model_names_the_jwst_command(tmp_path):
    from spacekit.exceptions import DataNotFoundError
    from spacekit.utils.manifest import find_model_folder

    for app, command in (("jwst_cal", "jwst"), ("hst_svm", "svm"), ("hst_cal", "cal")):
        with pytest.raises(DataNotFoundError, match=f"`spacekit {command} train DATA`$"):
            find_model_folder(tmp_path, app)


@pytest.mark.parametrize(
    ("app", "files"),
    [
        ("hst_cal", ["hst_cal/mem_clf.keras", "hst_cal/tx_data.json"]),
        ("jwst_cal", ["jwst_cal/img3_reg.keras", "jwst_cal/spec3_reg.keras"]),
        ("hst_svm", ["svm_align/ensembleSVM.keras"]),
    ],
)
def test_an_upstream_model_folder_points_to_import_upstream(app, files, tmp_path):
    """Upstream's extracted archive (``hst_cal/mem_clf.keras``...) or the folder of its zips,
    passed as a model folder: the message names ``spacekit import-upstream`` on that folder."""
    from spacekit.exceptions import DataNotFoundError
    from spacekit.skopes.hst import cal, svm
    from spacekit.skopes.jwst import cal as jwst

    load = {"hst_cal": cal.load_model, "jwst_cal": jwst.load_model, "hst_svm": svm.load_model}
    for f in files:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_bytes(b"")
    extracted = tmp_path / files[0].split("/")[0]
    for folder in (extracted, tmp_path):
        with pytest.raises(DataNotFoundError) as info:
            load[app](folder)
        text = str(info.value)
        assert f"`spacekit import-upstream {folder} --out DIR`" in text, text
        assert "upstream spacekit 1.1.4's model files" in text
    zips = tmp_path / "zips"
    zips.mkdir()
    (zips / "hst_cal.zip").write_bytes(b"")
    with pytest.raises(DataNotFoundError, match=f"import-upstream {zips} --out DIR"):
        load[app](zips)


# -- datasets ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "nearest"),
    [
        ("calcloud", "hst_cal_2021_05_11"),
        ("svm", "svm_labeled_2021_07_28"),
        ("k2", "k2_exoplanet_train"),
        ("jwst_cal", "no public JWST training data"),
    ],
)
def test_upstream_collection_names_point_to_the_registered_ones(name, nearest):
    from spacekit import datasets
    from spacekit.exceptions import UnknownDatasetError

    with pytest.raises(UnknownDatasetError, match="upstream spacekit 1.1.4's collection") as info:
        datasets.load(name)
    assert nearest in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"date_key": "2022-02-14"}, "pick it by name"),
        ({"fpath": "data/latest.csv"}, "spacekit.io.read_table"),
        ({"data_home": "~/data"}, "SPACEKIT_CACHE_DIR"),
    ],
)
def test_upstream_load_keywords_are_refused_with_what_to_do(kwargs, says, monkeypatch, tmp_path):
    """Upstream's ``load(name, date_key=, fpath=, data_home=)``: said to be upstream's, before
    anything is fetched (not "the file is corrupt" from the csv parser)."""
    from spacekit import datasets
    from spacekit.exceptions import InputError

    monkeypatch.setenv("SPACEKIT_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(InputError, match=f"upstream spacekit 1.1.4's keyword.*{says}"):
        datasets.load("hst_cal_sample_20", **kwargs)
    assert not (tmp_path / "cache").exists()


def _resolve(dotted: str):
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(dotted)


def test_every_replacement_the_table_names_exists():
    """The table (and so the messages and docs/upstream.rst) names only what exists here:
    each ``spacekit.a.b`` and its ``/ sibling`` shorthands (``load_model / save_model``)."""
    from spacekit.utils.upstream_api import LOAD_KEYWORDS

    texts = [*MODULES.values(), *(t for d in NAMES.values() for t in d.values())]
    missing = set()
    for text in [*texts, *LOAD_KEYWORDS.values()]:
        for m in re.finditer(r"(spacekit(?:\.\w+)+)((?:\s*/\s*\w+)*)", text):
            full = m.group(1)
            if full.endswith("_"):  # spacekit.builder.build_* (a family)
                continue
            names = [full] + [
                f"{full.rsplit('.', 1)[0]}.{s}" for s in re.findall(r"/\s*(\w+)", m.group(2))
            ]
            for name in names:
                try:
                    _resolve(name)
                except (ImportError, AttributeError):
                    missing.add(name)
    assert not missing, f"the table names what does not exist: {sorted(missing)}"
