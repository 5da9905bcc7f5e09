"""The entries of the dataset registry: where each file comes from, its sha256 and size,
how to read it, what it is and whom to credit.

sha256 and sizes were computed from the files of the project's data mirror, which are
byte-identical to their public sources. A file inside an archive names the archive (URL)
and the member.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Source", "DataFile", "Dataset", "REGISTRY", "github_raw"]


def github_raw(repo: str, commit: str, path: str) -> str:
    """The canonical raw URL of ``path`` in GitHub repository ``repo`` at ``commit``.

    Examples
    --------
    >>> github_raw("astropy/astropy-data", "1ec3f59", "timeseries/x.fits")
    'https://raw.githubusercontent.com/astropy/astropy-data/1ec3f59/timeseries/x.fits'
    """
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


@dataclass(frozen=True)
class Source:
    """Where a file comes from.

    Parameters
    ----------
    url : str
        Canonical public URL of the file, or of the archive that holds it.
    member : str or None
        Path of the file inside the archive at ``url`` (None: ``url`` is the file itself).
        When no member has this exact path, the one member with the same file name is used.
    archive_sha256, archive_size : str or None, int or None
        Checksum and size of the archive, when known.
    reference : str
        Human-readable provenance (repository@commit path, record, paper).
    """

    url: str
    member: str | None = None
    archive_sha256: str | None = None
    archive_size: int | None = None
    reference: str = ""


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset.

    Parameters
    ----------
    filename : str
        The file's name (in the cache and on a mirror).
    sha256 : str or None
        Its sha256 (hex); None when unknown.
    size : int or None
        Its size in bytes; None when unknown.
    source : Source
        Where it comes from.
    """

    filename: str
    sha256: str | None
    size: int | None
    source: Source


@dataclass(frozen=True, eq=False)
class Dataset:
    """A registry entry.

    Parameters
    ----------
    name : str
        Registry name (``hst_cal_2021_05_11``).
    kind : str
        ``"table"``, ``"json"``, ``"arrays"``, ``"lightcurve"`` or ``"collection"``.
    reader : str
        ``"csv"``, ``"json"``, ``"npz"``, ``"lightcurve"``, ``"paths"`` (a collection loaded
        as ``{stem: Path}``) or ``"csv-collection"`` (``{stem: DataFrame}``).
    mirror_path : str
        Path of the file (or folder, for a collection) relative to a data mirror.
    files : tuple of DataFile
        One file, or the members of a collection.
    description, credit, license : str
        What it is, whom to acknowledge, and the licence terms.
    reader_kwargs : dict
        Keyword arguments for the reader (e.g. ``time_format="bkjd"``).
    rows : int or None
        Number of rows of a table, when known (documentation only).
    """

    name: str
    kind: str
    reader: str
    mirror_path: str
    files: tuple[DataFile, ...]
    description: str
    credit: str
    license: str
    reader_kwargs: dict[str, Any] = field(default_factory=dict)
    rows: int | None = None

    @property
    def is_collection(self) -> bool:
        return self.kind == "collection"

    @property
    def sha256_known(self) -> bool:
        return all(f.sha256 for f in self.files)


# -- provenance constants ------------------------------------------------------------
_DASH = ("alphasentaurii/calcloud-ml-dashboard", "a62e0bd0bc8974b9d464f491babcdc1d9ae9a2bb")
_ASK_C70 = ("alphasentaurii/spacekit", "c70e0466ee4ec35b51724b15921c80d906a66e65")
_ASK_479 = ("alphasentaurii/spacekit", "479f38862830f0f692af40727e2785ae3b71c051")
_STSCI_CEC = ("spacetelescope/spacekit", "cec109357b920f1588b712ab0b22db95488ddb27")
_STSCI_444 = ("spacetelescope/spacekit", "444e076c5c47f0c76f542466edf8163e4bd672a8")
_CALCLOUD = ("spacetelescope/calcloud", "20f323f7c0ed79f8cf98dc31d1510f4a970b27e7")
_ASTROPY_DATA = ("astropy/astropy-data", "1ec3f59aeb914092f48f32eea4d75ea92c707fe3")
_EXOML = ("google-research/exoplanet-ml", "134f3875e1b2b3df6165bdaaac24f9e7cea344a4")
_TLS = ("hippke/tls", "0801c1d0cc14a7ea043a9ea0fbb4b044de98170e")

_MAST = (
    "Based on observations made with the NASA/ESA Hubble Space Telescope, obtained from "
    "the Mikulski Archive for Space Telescopes (MAST) at the Space Telescope Science "
    "Institute, which is operated by AURA, Inc., under NASA contract NAS5-26555."
)
_MAST_LC = (
    "{mission} data obtained from the Mikulski Archive for Space Telescopes (MAST); "
    "funding for the {mission} mission is provided by NASA. Acknowledge the mission and "
    "MAST when using them."
)
_HST_LICENSE = (
    "Public HST pipeline metadata; redistributed in the source repository under its "
    "licence (see the repository)."
)
_LC_LICENSE = "Public NASA mission data from MAST (use with acknowledgement)."


def _gh(repo_commit: tuple[str, str], path: str) -> Source:
    repo, commit = repo_commit
    return Source(github_raw(repo, commit, path), reference=f"github {repo}@{commit} {path}")


def _gh_member(repo_commit: tuple[str, str], path: str, member: str) -> Source:
    repo, commit = repo_commit
    return Source(
        github_raw(repo, commit, path),
        member=member,
        reference=f"member {member} of github {repo}@{commit} {path}",
    )


def _file(filename: str, sha256: str | None, size: int | None, source: Source) -> tuple:
    return (DataFile(filename, sha256, size, source),)


_MEMMODEL = [
    ("iaao11ofq", "0c522d013ecb3fbfb2e18005fe99a1ad0fede71fe2b367a1699ea09c1ef9be9e", 91),
    ("ib8t01010", "3fae0ce53e89df5c0557e8f9456922304a53205ec6a70e2cc8bd99cd8e20cdcd", 80),
    ("ibc604b9q", "11fd9ebb5af1f5ee60585ec7652b3fe58052468e39c5b926170f31250f566cd3", 90),
    ("id6q01020", "05005f34335c05dbe1e8021fbb26aa636ebd110be812cf28320469999e3c49bd", 99),
    ("j8c601020", "ac726719d65b5f2bb402eb5607a355b93815a22d3600971cb9f24bc056a93ffb", 96),
    ("j8ny02020", "bef684a994e8674dfa05d4f58452e1e35c853a00565817c2a5641c97120ee242", 96),
    ("j8q617040", "e233bf600ecd2aa9a120ea45583403e50ee5969b66f36b4f016d265aae5b85ce", 96),
    ("j91jc4010", "381922ae5bffb44721bee3173cc5ce5c74eaa59d90d4f6e92ce3b9b71654907a", 96),
    ("j9bs06040", "1e51f29efa5e51a4871bd6758d62451d495ffae840831ae4adcb27e5fdc0e6fe", 108),
    ("j9i408010", "6abaa2cb4009db5f089ce001735edb9110eddcf83e315869007f6c98588072c7", 92),
    ("j9oe01020", "9dbaa02597e475ed1aef38a1f59a9de8d2bbff68574a99e7248b1db909b57bfb", 96),
    ("jb4t04020", "f7e6726e209af2c59519c9f20419d30a222446bcacdf440268fb7c32ce215dc7", 90),
    ("jbpb12020", "6d52a8e678466721371e08dbc31c223501975660e0d7c10f3e94696a9c88a415", 96),
    ("jbsf01010", "381922ae5bffb44721bee3173cc5ce5c74eaa59d90d4f6e92ce3b9b71654907a", 96),
    ("jcat05010", "6d52a8e678466721371e08dbc31c223501975660e0d7c10f3e94696a9c88a415", 96),
    ("jccs02010", "5cec16cb19c41fe2f50f7a008ca110b819eb5de12c0c75bb157f0102f4d20174", 96),
    ("jd9510010", "d0e31b26534507d974719c65b8416469954ad068df8b5a193845f4322021ab18", 90),
    ("la8p01010", "f665ea7a64549c43e62b337baf3d557aaeed986bcac251bad66a465cf2adfe10", 52),
    ("ldnr01010", "c243781c2d89288d6bebf69692d73f9835b748445ce2dcff53e733ed76346f95", 66),
    ("o4de05090", "88bac8948579972c2ce590dae3af755a3bc599d9982d9dfdf4a56dea2a0b9ecc", 70),
    ("octu03040", "a3feec7d831248338a5bd96b1c9b5b92203187be24adabdd7da5e042894f3bbb", 59),
]

_SVM_PREP = [
    ("scraped_fits.csv", "59e2d1d0c85645630f627e3263039d60ff7beb2dfc078e8a2cb82d13a40ad5a0", 299),
    ("scraped_mast.csv", "dbaa0ecdcfcdbf46ce8bc40d30357905c5ad0b16ce5700796ab92ed11828f33d", 336),
    ("scrubbed_cols.csv", "33c1bc47eb3599412a1a8049dc5c545099c1592590a71c80e68f9884804cef4b", 216),
    ("single_reg.csv", "337d6560f2bc45f986f3bcd9695edb0ad88bb2c0c7a7cb25268881071ff40cbd", 158),
    ("single_scrub.csv", "4371441fa910a58df5ababa26fc1631f468ea45f35069b13bfd4f33fa3d5bb17", 333),
]

_KEPLER90 = "exoplanet-ml/light_curve/test_data/0114/011442793/"
_ALTAIPONY_WHEEL = (
    "https://files.pythonhosted.org/packages/py3/a/altaipony/altaipony-2.1.2-py3-none-any.whl"
)
_ZENODO_K2 = "https://zenodo.org/records/14941394/files/{}?download=1"
_JWST_ZIP = "spacekit/builder/trained_networks/jwst_cal.zip"

_ENTRIES: list[Dataset] = [
    # -- HST calibration ---------------------------------------------------------------
    Dataset(
        "hst_cal_2021_05_11",
        "table",
        "csv",
        "hst_cal/hst_cal_2021-05-11_latest.csv",
        _file(
            "hst_cal_2021-05-11_latest.csv",
            "e48f89882177529f6e8ca843f853b2ec6f7b159250d46f3470b24c2c707cfd23",
            3057062,
            _gh(_DASH, "calcloudML/data/2021-05-11-1620740441/latest.csv"),
        ),
        "HST calibration jobs of the calcloud reprocessing system (29,191 rows): the 9 "
        "features (n_files, total_mb, drizcorr, pctecorr, subarray, detector, crsplit, dtype, "
        "instr), targets memory (GB), wallclock (s) and mem_bin, indexed by ipst.",
        _MAST,
        _HST_LICENSE,
        rows=29191,
    ),
    Dataset(
        "hst_cal_ddb_export_2021_05_11",
        "table",
        "csv",
        "hst_cal/hst_cal_ddb_export_2021-05-11.csv",
        _file(
            "hst_cal_ddb_export_2021-05-11.csv",
            "017154bd92a4c49eb59a57fe7a1ddb3fb66b4a406a3c5392ccd7e9d4df40fea4",
            376556,
            _gh(_DASH, "calcloudML/data/other/ddb_data/latest.csv"),
        ),
        "Export of calcloud's DynamoDB table of HST calibration jobs (3,757 rows, the "
        "DynamoDB schema).",
        _MAST,
        _HST_LICENSE,
        rows=3757,
    ),
    Dataset(
        "hst_cal_categorized_subset_2021_08",
        "table",
        "csv",
        "hst_cal/hst_cal_categorized_subset_2021-08.csv",
        _file(
            "hst_cal_categorized_subset_2021-08.csv",
            "a5f70b4eb217c903dcd9d5eedc0788233dec4fde03008701e4a28d364f3ccc64",
            224280,
            _gh(_ASK_C70, "spacekit/datasets/data/calcloud/categorized_subset.csv"),
        ),
        "1,551 HST calibration jobs with their MAST target category.",
        _MAST,
        _HST_LICENSE,
        rows=1551,
    ),
    Dataset(
        "hst_cal_training_metadata_2021_05",
        "table",
        "csv",
        "hst_cal/hst_cal_training_metadata_2021-05.csv",
        _file(
            "hst_cal_training_metadata_2021-05.csv",
            "296459ed130fc8c5be3b75ef5e909d50ff83eb4f3e59c110695c254498f86ebc",
            537,
            _gh(_DASH, "calcloudML/data/training_metadata.csv"),
        ),
        "Published scores of the calcloud model versions 1-3 (3 rows).",
        _MAST,
        _HST_LICENSE,
        rows=3,
    ),
    Dataset(
        "hst_cal_sample_20",
        "table",
        "csv",
        "hst_cal/hst_cal_sample_20.csv",
        _file(
            "hst_cal_sample_20.csv",
            "53c4f8f156febd76f942c2ed7730c5fbcd31d136055b8677ba874de2c04d7f9d",
            3595,
            _gh(_STSCI_CEC, "tests/data/cal/train/training.csv"),
        ),
        "20 HST calibration jobs (upstream spacekit's training test data).",
        _MAST,
        _HST_LICENSE,
        rows=20,
    ),
    Dataset(
        "hst_cal_memmodel_features",
        "collection",
        "paths",
        "hst_cal/MemModelFeatures",
        tuple(
            DataFile(
                f"{ipst}_MemModelFeatures.txt",
                sha,
                size,
                _gh(
                    _CALCLOUD,
                    f"tests/artifacts/predict_lambda_tests/control/{ipst}_MemModelFeatures.txt",
                ),
            )
            for ipst, sha, size in _MEMMODEL
        ),
        "21 real per-dataset inputs of calcloud's production prediction (key=value lines "
        "of a MemModelFeatures file); load() returns {ipst: Path}.",
        _MAST,
        "BSD-3-Clause (spacetelescope/calcloud); public HST metadata.",
    ),
    # -- HST single visit mosaics ------------------------------------------------------
    Dataset(
        "svm_labeled_2021_07_28",
        "table",
        "csv",
        "hst_svm/svm_labeled_2021-07-28.csv",
        _file(
            "svm_labeled_2021-07-28.csv",
            "b7ac1163e63ad619a74fb1c27ea2ea3b5f8dd0bc44b0071214c7210ffd95cd9e",
            179137,
            _gh(_ASK_C70, "spacekit/datasets/data/svm/svm_2021-07-28.csv"),
        ),
        "1,791 labelled HST single-visit mosaics (1,107 aligned, 684 misaligned) with QA "
        "features; the det/cat/wcs codes are inconsistent across batches (re-derive det from "
        "index). Also Zenodo record 18271832.",
        _MAST,
        _HST_LICENSE,
        rows=1791,
    ),
    Dataset(
        "svm_unlabeled_2021_10_06",
        "table",
        "csv",
        "hst_svm/svm_unlabeled_2021-10-06.csv",
        _file(
            "svm_unlabeled_2021-10-06.csv",
            "c0bc2c6baa7e130614aa2f75cb1b71e048e117ccf2cad8b2d2cd6364b1248f2f",
            102017,
            _gh(_ASK_C70, "spacekit/datasets/data/svm/svm_2021-10-06.csv"),
        ),
        "1,133 unlabelled HST single-visit mosaics with QA features.",
        _MAST,
        _HST_LICENSE,
        rows=1133,
    ),
    Dataset(
        "svm_raw_2021_11_02",
        "table",
        "csv",
        "hst_svm/svm_2021-11-02_raw_svm_data.csv",
        _file(
            "svm_2021-11-02_raw_svm_data.csv",
            "65088576593cc46eff352f2feae357a9096a1bd40f4c638610f52147db6bacf8",
            64918,
            _gh_member(
                _ASK_479,
                "spacekit/datasets/data/svm/2021-11-02_predictions.zip",
                "2021-11-02_predictions/raw_svm_data.csv",
            ),
        ),
        "298 HST single-visit mosaics before encoding: target name, RA/Dec, MAST category.",
        _MAST,
        _HST_LICENSE,
        rows=298,
    ),
    Dataset(
        "svm_img_pred_2samples",
        "arrays",
        "npz",
        "hst_svm/svm_img_pred_2samples.npz",
        _file(
            "svm_img_pred_2samples.npz",
            "7159d3b99ae5f14dcdc67f60282f20d7ac16e4e66b9ed657828fe51482884ad7",
            1180436,
            _gh(_STSCI_CEC, "tests/data/svm/predict/img_pred.npz"),
        ),
        "Image inputs of 2 SVM visits: index (2,), images (2, 3, 128, 128, 3) float32 "
        "(drizzled image, point+segment overlay, Gaia overlay); load() returns a dict.",
        _MAST,
        _HST_LICENSE,
    ),
    Dataset(
        "svm_prep",
        "collection",
        "csv-collection",
        "hst_svm/prep",
        tuple(
            DataFile(fname, sha, size, _gh(_STSCI_CEC, f"tests/data/svm/prep/{fname}"))
            for fname, sha, size in _SVM_PREP
        ),
        "One SVM visit (ibl738) through each ingest stage (QA json scrape, FITS header "
        "scrape, MAST category, encoded row); load() returns {stem: DataFrame}.",
        _MAST,
        _HST_LICENSE,
    ),
    # -- JWST calibration --------------------------------------------------------------
    Dataset(
        "jwst_cal_encoder_pairs",
        "json",
        "json",
        "jwst_cal/encoder_pairs.json",
        _file(
            "encoder_pairs.json",
            "2bcbdf3b9545adc882aecf62279d427998ff729b50f0d45cddf592b3d6b3a600",
            3336,
            _gh(_STSCI_444, "spacekit/skopes/jwst/cal/encoder_pairs.json"),
        ),
        "Categorical -> integer table for JWST instrument, detector, filter and other "
        "keywords (upstream spacekit's jwst_cal encoder).",
        "JWST metadata from MAST; upstream spacekit (spacetelescope).",
        "Source repository's licence (spacetelescope/spacekit).",
    ),
    Dataset(
        "jwst_cal_tx_data_image",
        "json",
        "json",
        "jwst_cal/jwst_cal__tx_data-image.json",
        _file(
            "jwst_cal__tx_data-image.json",
            "0f178aa76629e3f7ae40d7843023d9dc89ea6bd93636971512e0574159d80d8f",
            399,
            _gh_member(_STSCI_444, _JWST_ZIP, "jwst_cal/tx_data-image.json"),
        ),
        "Upstream normalisation parameters (Yeo-Johnson lambdas, mu, sigma) of the IMAGE "
        "offset columns of the JWST Level-3 memory model (reference values, not a model).",
        "Upstream spacekit (spacetelescope).",
        "Source repository's licence (spacetelescope/spacekit).",
    ),
    Dataset(
        "jwst_cal_tx_data_spec",
        "json",
        "json",
        "jwst_cal/jwst_cal__tx_data-spec.json",
        _file(
            "jwst_cal__tx_data-spec.json",
            "277251a02dd43a9fce07a9adff7306c2c63c22f16e7104f7d1d01f341449fa07",
            465,
            _gh_member(_STSCI_444, _JWST_ZIP, "jwst_cal/tx_data-spec.json"),
        ),
        "Upstream normalisation parameters of the SPEC offset columns of the JWST Level-3 "
        "memory model (targ_max_offset then the six IMAGE columns).",
        "Upstream spacekit (spacetelescope).",
        "Source repository's licence (spacetelescope/spacekit).",
    ),
    # -- light curves ------------------------------------------------------------------
    Dataset(
        "lc_k2_3",
        "lightcurve",
        "lightcurve",
        "lightcurves/EPIC201367065.csv",
        _file(
            "EPIC201367065.csv",
            "5d4ca48676d274399e88af5a29bb14b6b630795301e89ba20bc4a7f6c9379302",
            90800,
            _gh(_TLS, "transitleastsquares/EPIC201367065.csv"),
        ),
        "K2-3 (EPIC 201367065, 3 planets: 10.054, 24.646, 44.556 d), K2 campaign 1, "
        "30-min cadence, 3,632 rows; csv without header (time in BKJD, flux). Also in the "
        "exostriker-0.96.7 wheel on PyPI.",
        _MAST_LC.format(mission="K2"),
        _LC_LICENSE,
        reader_kwargs={"time_format": "bkjd"},
        rows=3632,
    ),
    Dataset(
        "lc_wasp_126",
        "lightcurve",
        "lightcurve",
        "lightcurves/hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits",
        _file(
            "hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits",
            "d52c23f0f2c944c9ae585369ecb42a9c48c650b875b9f87814a325079e23bf2f",
            2039040,
            _gh(
                _ASTROPY_DATA,
                "timeseries/hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits",
            ),
        ),
        "WASP-126 (TIC 25155310; planet b, 3.2888 d), TESS sector 1, 2-min cadence, 20,076 rows.",
        _MAST_LC.format(mission="TESS"),
        _LC_LICENSE,
        rows=20076,
    ),
    Dataset(
        "lc_hat_p_7",
        "lightcurve",
        "lightcurve",
        "lightcurves/kplr010666592-2009131110544_slc.fits",
        _file(
            "kplr010666592-2009131110544_slc.fits",
            "b648bf31893ab3eca26260d6c3077ac0e650b712823ae1134381d356fdf64cba",
            1457280,
            _gh(_ASTROPY_DATA, "timeseries/kplr010666592-2009131110544_slc.fits"),
        ),
        "HAT-P-7 (Kepler-2; planet b, 2.2047299 d), Kepler Q0, 1-min cadence, 14,280 rows.",
        _MAST_LC.format(mission="Kepler"),
        _LC_LICENSE,
        rows=14280,
    ),
    *(
        Dataset(
            f"lc_kepler_90_q{q}",
            "lightcurve",
            "lightcurve",
            f"lightcurves/kplr011442793-{stamp}_llc.fits",
            _file(
                f"kplr011442793-{stamp}_llc.fits",
                sha,
                size,
                _gh(_EXOML, f"{_KEPLER90}kplr011442793-{stamp}_llc.fits"),
            ),
            f"Kepler-90 (KIC 11442793, 8 planets from 7.008 to 331.6 d), Kepler Q{q}, "
            f"30-min cadence{note}.",
            _MAST_LC.format(mission="Kepler"),
            _LC_LICENSE + " Redistributed by google-research/exoplanet-ml (Apache-2.0).",
        )
        for q, stamp, sha, size, note in [
            (
                3,
                "2009350155506",
                "e323c22b263ba59e900d9b15d773e81e05f30a7a3036e53145f6374af48d16e3",
                466560,
                "",
            ),
            (
                4,
                "2010009091648",
                "d3c06911b54172fcf6e5117a7a854cb5917827b27cafb41b0d06ae68eca73e98",
                132480,
                " (truncated upstream: 1,021 rows)",
            ),
            (
                5,
                "2010174085026",
                "4a93dc2c3633501b05ca199d6d8c8c9de7368770848f2cbe60bb471c95e2fd68",
                492480,
                "",
            ),
        ]
    ),
    Dataset(
        "lc_kic_10002792",
        "lightcurve",
        "lightcurve",
        "lightcurves/kplr010002792-2009259160929_llc.fits",
        _file(
            "kplr010002792-2009259160929_llc.fits",
            "65ec2b64d904b3f241c92d216509748d4fded02a8ee9dc397ce11ed7aa72af80",
            466560,
            Source(
                _ALTAIPONY_WHEEL,
                member="altaipony/examples/kplr010002792-2009259160929_llc.fits",
                archive_sha256=("a5e49fdadba2935af2421e8a41ec544e712b81f356dd27f01c43c116ada13605"),
                archive_size=8379892,
                reference="member altaipony/examples/kplr010002792-2009259160929_llc"
                ".fits of the PyPI wheel altaipony-2.1.2",
            ),
        ),
        "KIC 10002792, a flaring star with no known planet, Kepler Q2, 30-min cadence: a "
        "negative for period searches.",
        _MAST_LC.format(mission="Kepler"),
        _LC_LICENSE + " Redistributed in the AltaiPony wheel (MIT).",
    ),
    # -- K2 exoplanet flux tables (Kaggle), not in the mirror ----------------------------
    *(
        Dataset(
            f"k2_exoplanet_{split}",
            "table",
            "csv",
            f"k2/{fname}",
            (
                DataFile(
                    fname,
                    None,
                    None,
                    Source(_ZENODO_K2.format(fname), reference=f"Zenodo record 14941394 {fname}"),
                ),
            ),
            f"Kaggle 'Exoplanet hunting in deep space' {split} set: K2 flux time series, "
            "one star per row (LABEL 2 = confirmed exoplanet host, 1 = not), then FLUX.1... "
            "sha256 not known yet: the first download is verified by format only.",
            "Kepler/K2 data from MAST (NASA); Kaggle dataset by W. Dernoncourt, mirrored on "
            "Zenodo record 14941394.",
            "See Zenodo record 14941394.",
        )
        for split, fname in [("train", "exoTrain.csv"), ("test", "exoTest.csv")]
    ),
]

#: name -> :class:`Dataset`, in registration order.
REGISTRY: dict[str, Dataset] = {d.name: d for d in _ENTRIES}
