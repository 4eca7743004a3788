"""The abdomen's organs as a reader of a CT knows them: kidneys with a cortex that leads the
medulla in the arterial (corticomedullary) phase; small-bowel loops in front of the kidneys, each a
wall round enteric fluid."""

import functools

import numpy as np
from scipy import ndimage

from models import make_spec
from models.base import RENDER_STREAM, study_rng
from models.phantom_ct import anatomy
from models.phantom_ct.abdomen import PARENCHYMA_MM, PERIRENAL_MM, kidneys, spleen
from models.phantom_ct.body import CAVITY_KNOTS, Frame, Jitter, diaphragm, section
from models.phantom_ct.patient import body as patient_body
from models.phantom_ct.patient import grid as patient_grid
from models.phantom_ct.render import paint
from models.phantom_ct.shapes import Swept, rotation
from models.phantom_ct.tissue import TISSUE_INDEX
from tests.models.phantom_ct.test_body import body
from tests.models.phantom_ct.test_generator import VALUE, generator, rendered

SHAPE = (96, 128, 128)
MUSCLES = ("iliopsoas", "autochthon")  # the labelled muscles behind and beside the kidneys


@functools.cache
def abdomen(index: int, contrast: str):
    return rendered(index, SHAPE, body_region="abdomen", contrast=contrast, noise_hu=8.0)[1]


def _kidney_spread(study) -> float:
    """Interdecile range of HU inside the kidneys, away from their edges."""
    inside = (study.label == VALUE["left kidney"]) | (study.label == VALUE["right kidney"])
    core = study.image[ndimage.binary_erosion(inside)].astype(float)
    return float(np.subtract(*np.percentile(core, [90, 10])))


def test_the_kidney_cortex_leads_the_medulla_in_the_arterial_phase():
    """Kim JK et al., Eur J Radiol 2007: 110-140 HU between cortex and medulla at the
    corticomedullary phase, about 30 HU unenhanced."""
    for index in range(2):
        arterial, plain = _kidney_spread(abdomen(index, "arterial")), _kidney_spread(abdomen(index, "non_contrast"))
        assert arterial > 70 and arterial > plain + 40, (index, arterial, plain)


def test_small_bowel_stays_in_front_of_the_kidneys():
    for index in range(2):
        study = abdomen(index, "portal_venous")
        kidneys = (study.label == VALUE["left kidney"]) | (study.label == VALUE["right kidney"])
        bowel = study.label == VALUE["small bowel"]
        if not bowel.any():
            continue
        assert np.argwhere(bowel)[:, 1].mean() < np.argwhere(kidneys)[:, 1].mean()


def test_bowel_loops_are_a_wall_round_fluid_that_never_meets_the_mesentery():
    """Without oral contrast a small-bowel loop is a wall of at most 3 mm (distended) round enteric
    fluid and gas (Fernandes et al., Insights Imaging 2014); phantom_ct before 0.10.0 painted each
    loop solid, at the unenhanced kidney's HU. The duodenum has its lumen too. (Where a loop abuts
    an organ painted before it, or a vessel crosses it, its wall gives way to them.)"""
    g = generator(SHAPE, body_region="abdomen")
    for index in range(2):
        spec = make_spec(g, 0, index)
        p = spec.params
        structures = anatomy.build(patient_body(p), study_rng(spec.seed, RENDER_STREAM))
        label, tissue = paint(patient_grid(p["shape"], p["spacing_mm"], p["z_center_mm"]), structures, g.label_dict)
        for name in ("small bowel", "duodenum"):
            loops = label == VALUE[name]
            wall = loops & (tissue == TISSUE_INDEX["bowel_wall"])
            fluid = loops & (tissue == TISSUE_INDEX["bowel_fluid"])
            assert wall.any() and fluid.sum() > 0.1 * loops.sum(), (index, name, wall.sum(), fluid.sum())
            # The wall closes the fluid off from the mesenteric fat round the loop.
            assert not (ndimage.binary_dilation(fluid) & (tissue == TISSUE_INDEX["visceral"])).any(), (index, name)


def test_the_bowel_wall_enhances_round_its_dark_fluid():
    """Normal small-bowel wall 107-111 HU in the portal venous phase (50 healthy adults); enteric
    fluid of water density."""
    study = abdomen(0, "portal_venous")
    loops = study.label == VALUE["small bowel"]
    hu = study.image[loops].astype(float)
    assert np.percentile(hu, 90) > 80 and np.percentile(hu, 10) < 30, np.percentile(hu, [10, 90])


def test_the_kidney_wraps_its_sinus_in_parenchyma_15_mm_thick():
    """Glodny et al., BMC Urol 2009 (1,040 MDCT scans): parenchyma 15-16 mm thick round the renal
    sinus. A solid bean (phantom_ct before 0.5.0) held a ball of 33-46 mm; the sinus it wraps,
    opening at the hilum, is fat."""
    for index in range(2):
        study = abdomen(index, "non_contrast")
        spacing = study.spacing_mm
        for side in ("left kidney", "right kidney"):
            kidney = study.label == VALUE[side]
            thickest = 2 * ndimage.distance_transform_edt(kidney, sampling=spacing).max()
            assert thickest <= 2 * PARENCHYMA_MM + max(spacing), (index, side, thickest)
            wrapped = ndimage.binary_closing(kidney, ndimage.generate_binary_structure(3, 1), iterations=4) & ~kidney
            sinus_ml = np.count_nonzero(wrapped & (study.image < -50)) * np.prod(spacing) / 1000
            assert sinus_ml > 9.0, (index, side, sinus_ml)


def test_perirenal_fat_keeps_every_muscle_off_the_kidney():
    """The renal fascia closes the perirenal fat round the kidney, apart from the psoas and the back
    muscles (Meyers, Dynamic Radiology of the Abdomen): phantom_ct before 0.6.0 let them cut it flat
    and touch it with no fat between."""
    for index in range(2):
        study = abdomen(index, "non_contrast")
        muscles = np.isin(study.label, [VALUE[f"{side} {m}"] for side in ("left", "right") for m in MUSCLES])
        away = ndimage.distance_transform_edt(~muscles, sampling=study.spacing_mm)
        for side in ("left kidney", "right kidney"):
            nearest = away[study.label == VALUE[side]].min()
            assert nearest >= 0.5 * PERIRENAL_MM, (index, side, nearest)


def _kidneys(seed: int):
    """Each side's kidney and the fat that hollows it (sinus and hilum), as drawn for one body."""
    frame = Frame(body(organ_scale={"kidney": 1.0}))
    parts = kidneys(frame.body, frame, Jitter(np.random.default_rng(seed)))
    for side, sign in (("right", -1.0), ("left", 1.0)):
        at = next(i for i, p in enumerate(parts) if p.label == f"{side} kidney")
        end = next((i for i, p in enumerate(parts) if i > at and p.label and p.label.endswith("kidney")), len(parts))
        hollows = [p.solid for p in parts[at:end] if p.tissue == "visceral"]
        yield side, sign, parts[at].solid, hollows


def test_each_hilum_faces_forward_and_in():
    """Sakate et al., Radiol Bras 2009 (500 hila of 250 normal CTs): the hilum 40-45 degrees in front
    of the coronal plane, facing the great vessels; phantom_ct before 0.7.0 turned it backwards, to
    the transverse processes (y is posterior)."""
    for seed in range(6):
        for side, sign, kidney, _ in _kidneys(seed):
            x, y, _ = rotation(kidney.angles_deg) @ np.array([-sign, 0.0, 0.0])  # the hilum's way
            forward = np.degrees(np.arctan2(-y, abs(x)))
            assert x * sign < 0 and 20.0 < forward < 65.0, (seed, side, forward)


def test_the_sinus_opens_at_the_hilum_and_nowhere_else_on_the_medial_border():
    """The hilum is a slit in the middle of the medial border (here its middle third); before 0.7.0
    the sinus opened along the whole border, so the poles were open C shapes too."""
    for seed in range(6):
        for side, sign, kidney, hollows in _kidneys(seed):
            rx, _, rz = kidney.radii
            way = rotation(kidney.angles_deg)
            for height, open_ in ((0.0, True), (0.5, False), (-0.5, False)):
                point = np.asarray(kidney.center) + way @ np.array([-sign * 0.95 * rx, 0.0, height * rz])
                xyz = [np.array([v], dtype=np.float32) for v in point]
                hollowed = any(bool(h.inside(*xyz)[0]) for h in hollows)
                assert hollowed == open_, (seed, side, height)


def _swept(solid) -> Swept:
    """The sweep inside a clipped, carved solid."""
    while not isinstance(solid, Swept):
        solid = solid.solid
    return solid


def test_the_spleens_convex_face_lies_on_the_wall():
    """The spleen's diaphragmatic surface is convex and lies on the diaphragm, over the 9th to 11th
    ribs (Gray's Anatomy, 20th ed., "The Spleen"). An ellipsoid set against the concave wall
    touches it at one place and leaves a wedge of fat round it (phantom_ct before 0.11.0: 116 of
    297 rays below left the spleen into fat). Parallel rays through its middle, along its thickness
    axis towards the wall, leave it into the wall, not into the cavity's fat, unless the wall lies
    beyond the sweep."""
    gaps = rays = 0
    step = np.arange(0.0, 80.0, 0.5)
    for seed in range(12):
        frame = Frame(body(organ_scale={"spleen": 1.0}))
        jit = Jitter(np.random.default_rng(seed))
        organ = spleen(frame.body, frame, jit, diaphragm(frame.body, frame, jit)).solid
        cavity = section(frame, 0.0, CAVITY_KNOTS)
        sweep = _swept(organ)
        blob, way = sweep.solid, np.asarray(sweep.direction)
        across = rotation(blob.angles_deg)
        for a in np.linspace(-0.6, 0.6, 5):
            for b in np.linspace(-0.6, 0.6, 5):
                start = np.asarray(blob.center) + a * blob.radii[1] * across[:, 1] + b * blob.radii[2] * across[:, 2]
                ray = [(start[i] + step * way[i]).astype(np.float32) for i in range(3)]
                inside, fat = organ.inside(*ray), cavity.inside(*ray)
                if not inside[0]:
                    continue
                leaves = int(np.argmin(inside))
                rays += 1
                gaps += bool(fat[leaves] and np.count_nonzero(fat[leaves:] & ~inside[leaves:]) * 0.5 > 1.0)
    assert rays > 250 and gaps / rays < 0.12, (gaps, rays)
