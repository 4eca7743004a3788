"""The abdomen: solid organs, the hollow ones, and the portal venous system.

Organs are painted into the cavity below the diaphragm in anatomical priority: those painted
first keep contested voxels (the liver indents the kidney's upper pole, not the reverse).
"""

from __future__ import annotations

import numpy as np

from models.phantom_ct import reference
from models.phantom_ct.body import (
    CAVITY,
    WALL_MM,
    Body,
    Frame,
    Jitter,
    Structure,
    organ,
    paint_tube,
    placed,
    vessel,
    wall_point,
)
from models.phantom_ct.shapes import Blob, Capsule, Carved, Clipped, Dome, FieldSolid, Inset, Swept, rotation

# Inside each kidney (the reference anatomy's "kidney" entry says where each number comes from):
_KIDNEY = reference.landmark("kidney")
MEDULLA = tuple(float(d) for d in _KIDNEY["medulla_deg"])  # pyramids' directions, frontal plane, from the lateral edge
PYRAMID_MM = float(_KIDNEY["pyramid_mm"])  # a pyramid's radius
PARENCHYMA_MM = float(_KIDNEY["parenchyma_mm"])  # cortex and medulla together: 15-16 mm (Glodny 2009, below)
HILUM_FRACTION = float(_KIDNEY["hilum_fraction"])  # the hilum, a slit in the middle third of the medial border
PERIRENAL_MM = float(_KIDNEY["perirenal_mm"])  # the perirenal fat round each kidney, inside Gerota's fascia
# The bowel's wall: the small bowel's is at most 3 mm distended, the colon's 1-2 mm distended to 5 mm
# collapsed (Fernandes T, Oliveira MI, Castro R, et al. Bowel wall thickening at CT: simplifying the
# diagnosis. Insights Imaging 2014;5:195-208).
BOWEL_WALL_MM = 3.0
# How far an organ's face against the wall is swept out to meet it, over the gap an ellipsoid leaves
# between its convex face and the concave wall (the spleen's; a choice of this model, not a measurement).
PRESSED_MM = 15.0


def abdomen(body: Body, frame: Frame, jit: Jitter, dome: Dome) -> list[Structure]:
    parts = adrenals(frame, jit)  # first: small, and tucked between liver, crus and kidney
    parts += liver(body, frame, jit, dome)
    parts.append(spleen(body, frame, jit, dome))
    parts += kidneys(body, frame, jit)
    parts += stomach(body, frame, jit, dome)
    parts += paint_tube("pancreas", "pancreas", vessel(frame, jit, "pancreas"), CAVITY)
    parts += bowel_tube("duodenum", vessel(frame, jit, "duodenum"), "bowel_fluid")
    parts += portal_system(frame, jit)
    parts += colon(body, frame, jit)
    parts += small_bowel(body, frame, jit)
    return parts


def liver(body: Body, frame: Frame, jit: Jitter, dome: Dome) -> list[Structure]:
    """Right and left lobes under the right dome, hepatic and portal vessel branches inside it,
    the gallbladder in its fossa below."""
    scale = body.organ_scale["liver"]
    right = placed(frame, jit, "liver right lobe", scale)
    left = placed(frame, jit, "liver left lobe", scale)
    parts = [
        Structure("liver", "liver", Clipped(right, below=dome, margin=2.0), CAVITY),
        Structure("liver", "liver", Clipped(left, below=dome, margin=2.0), CAVITY),
    ]
    for side in ("right", "middle", "left"):  # hepatic veins, draining up to the IVC
        veins = vessel(frame, jit, f"{side} hepatic vein")
        parts += paint_tube("hepatic vessel", "hepatic_vessel", veins, frozenset({"liver"}))
    for branch in ("right posterior", "left", "right anterior"):  # portal branches from the hilum
        portal = vessel(frame, jit, f"{branch} portal branch")
        parts += paint_tube("hepatic vessel", "portal", portal, frozenset({"liver"}))
    gallbladder = placed(frame, jit, "gallbladder", scale)
    parts.append(Structure("gallbladder", "bile", gallbladder, frozenset({"liver", "visceral"})))
    return parts


def spleen(body: Body, frame: Frame, jit: Jitter, dome: Dome) -> Structure:
    """A crescent in the left upper quadrant, its convex face against the posterolateral wall under
    the dome, its visceral face hollowed where the stomach and kidney press. Size from CT: 10.0 cm
    long, 8.9 cm broad, 4.6 cm thick, 198 +- 88 ml (Caglar V, Alkoc OA, Uygur R, et al. Determination
    of normal splenic volume in relation to age, gender and body habitus: a stereological study on
    computed tomography. Folia Morphol 2014;73:331-338; Prassopoulos P et al., Eur Radiol
    1997;7:246-248: 215 ml, 107-315). The radii are those dimensions a little over, as the dome clips
    the upper pole and the stomach dents the visceral face.

    Its diaphragmatic surface is convex and smooth, directed up, back and to the left, and lies on
    the under surface of the diaphragm, which separates it from the 9th to 11th ribs (Gray H.
    Anatomy of the Human Body, 20th ed., 1918, "The Spleen"): the convex face is swept `PRESSED_MM`
    out along the thickness axis, so it meets the wall wherever the wall lies that near. Before
    0.11.0 an ellipsoid against the concave wall touched it at one place and left a wedge of fat
    round it (39 % of parallel rays through its middle along that axis left it into fat, 7 % since;
    the sweep adds 5-11 % to its volume)."""
    scale = body.organ_scale["spleen"]
    bed = reference.entry("organs", "spleen")
    height = bed["height_mm"]
    x, y = wall_point(frame, frame.z(height), bed["wall_theta_rad"], inset=WALL_MM + bed["inset_mm"] * scale)
    centre = (x / frame.sxy, y / frame.sxy, height)
    outer = organ(frame, jit, centre, tuple(bed["radii_mm"]), scale, tuple(bed["angles_deg"]), bed["bend"])  # type: ignore[arg-type]
    inward = rotation(outer.angles_deg) @ np.array([-1.0, 0.0, 0.0])  # the thickness axis, pointing medially
    depth = 38.0 * scale
    hollow = Blob(
        tuple(float(c + depth * n) for c, n in zip(outer.center, inward, strict=True)),  # type: ignore[arg-type]
        (outer.radii[0], outer.radii[1] * 0.75, outer.radii[2] * 0.75),
        outer.angles_deg,
    )
    pressed = Swept(outer, tuple(float(-n) for n in inward), PRESSED_MM)  # type: ignore[arg-type]
    return Structure("spleen", "spleen", Clipped(Carved(pressed, hollow), below=dome), CAVITY)


def kidneys(body: Body, frame: Frame, jit: Jitter) -> list[Structure]:
    """Beans either side of the spine (the right lower, under the liver), in their perirenal fat,
    the hilum turned forward and in. Size from CT: 108-111 +- 12 mm long, parenchyma 15-16 mm and
    cortex 6.6 mm thick (Glodny B, Unterholzner V, Taferner B, et al. Normal kidney size and its
    influencing factors: a 64-slice MDCT study of 1040 asymptomatic patients. BMC Urol 2009;9:19),
    about 5-6 cm wide and 4 cm thick. A cortex, medullary pyramids in an arc round the sinus
    (their bases under the cortex, `MEDULLA`), and the sinus: the fat-filled hollow that the
    parenchyma wraps (a solid kidney, as before 0.5.0, had 33-46 mm of parenchyma where a real one
    has 15-16). The sinus opens only at the hilum, the vertical slit in the middle of the concave
    medial border (Moore KL, Dalley AF, Agur AMR. Clinically Oriented Anatomy, 7th ed., 2014, "Kidneys"):
    here its middle third (`HILUM_FRACTION`); before 0.7.0 the sinus opened along the whole
    border, so even the poles were open C shapes. The hilum faces forward and in, 40-45 degrees in
    front of the coronal plane (Sakate M, Sakate ATY, Yamashita S, et al. Normal abdominal computed
    tomography: a retrospective study of renal hila angles. Radiol Bras 2009;42:27-29, 500 hila of
    250 normal CTs), so the lateral border lies behind the medial one (42 degrees: the kidneys' last angle in
    the reference anatomy, `data/reference.json`); before 0.7.0
    the kidneys were turned 30 degrees the other way, their hila facing back towards the
    transverse processes.

    Each kidney lies in its perirenal fat, closed round it by the renal fascia (Gerota's), which
    separates it from the psoas and quadratus lumborum behind and from the colon and duodenum in
    front (Meyers MA. Dynamic Radiology of the Abdomen, 5th ed., Springer 2000, ch. "The
    extraperitoneal spaces"): the fat is painted over the wall muscles it meets, bent as the kidney
    is, so the kidney is never cut flat against a muscle (before 0.6.0 the psoas, the back muscles
    and the wall clipped it where they met, and it touched them with no fat between)."""
    parts: list[Structure] = []
    for side, sign in (("right", -1.0), ("left", 1.0)):
        kidney = placed(frame, jit, f"{side} kidney", body.organ_scale["kidney"])
        fascia = tuple(r + PERIRENAL_MM for r in kidney.radii)
        capsule = Blob(kidney.center, fascia, kidney.angles_deg, kidney.bend)  # type: ignore[arg-type]
        parts.append(Structure("body", "fat", capsule, CAVITY | {"muscle"}))  # perirenal fat: no muscle, no bowel
        parts.append(Structure(f"{side} kidney", "kidney", kidney, CAVITY | {"fat"}))
        # The sinus, the kidney's hollow centre (fat round the pelvis and vessels), at its centre; the
        # parenchyma round it is PARENCHYMA_MM thick, a little more at the poles. It opens medially
        # through the hilum: fat through the medial border, as tall as its middle third.
        rx, ry, rz = kidney.radii
        sinus_radii = (max(rx - PARENCHYMA_MM, 6.0), max(ry - PARENCHYMA_MM, 4.0), max(rz - 1.5 * PARENCHYMA_MM, 8.0))
        hilum = Blob(
            _in_frame(kidney, np.array([-sign * rx, 0.0, 0.0])),
            (PARENCHYMA_MM + 2.0, sinus_radii[1], rz * HILUM_FRACTION),
            kidney.angles_deg,
        )
        parts.append(Structure("body", "visceral", hilum, frozenset({"kidney"})))
        for angle in np.deg2rad(MEDULLA):  # round the sinus in the kidney's frontal plane, from its lateral edge
            way = np.array([sign * np.cos(angle), 0.0, np.sin(angle)])
            reach = 1.0 / np.hypot(way[0] / sinus_radii[0], way[2] / sinus_radii[2])
            centre = _in_frame(kidney, (reach + 3.0) * way)
            pyramid = Blob(centre, tuple(PYRAMID_MM * f for f in (1.0, 0.8, 1.0)), kidney.angles_deg)  # type: ignore[arg-type]
            parts.append(Structure(None, "kidney_medulla", pyramid, frozenset({"kidney"})))
        sinus = Blob(kidney.center, sinus_radii, kidney.angles_deg)  # type: ignore[arg-type]
        parts.append(Structure("body", "visceral", sinus, frozenset({"kidney", "kidney_medulla"})))
    return parts


def _in_frame(blob: Blob, local: np.ndarray) -> tuple[float, float, float]:
    """The point at `local` (mm) in `blob`'s own turned frame, in the body's."""
    x, y, z = np.asarray(blob.center) + rotation(blob.angles_deg) @ local
    return float(x), float(y), float(z)


def adrenals(frame: Frame, jit: Jitter) -> list[Structure]:
    """Flat glands capping each kidney's upper pole, medially (the right one higher, as the kidney)."""
    parts = []
    for side in ("right", "left"):
        gland = placed(frame, jit, f"{side} adrenal gland")
        parts.append(Structure(f"{side} adrenal gland", "adrenal", gland, CAVITY))
    return parts


def stomach(body: Body, frame: Frame, jit: Jitter, dome: Dome) -> list[Structure]:
    """Wall, fluid, and gas rising to the front (supine) in a share `stomach_gas` of the lumen."""
    wall = placed(frame, jit, "stomach", body.organ_scale["stomach"])
    lumen = Blob(wall.center, tuple(r * 0.8 for r in wall.radii), wall.angles_deg, wall.bend)
    depth = wall.radii[1] * 0.8
    gas_level = wall.center[1] - depth + 2 * depth * body.stomach_gas
    return [
        Structure("stomach", "stomach_wall", Clipped(wall, below=dome), CAVITY),
        Structure(None, "stomach_fluid", lumen, frozenset({"stomach_wall"})),
        Structure(
            None,
            "gas",
            Clipped(lumen, plane_point=(0.0, gas_level, 0.0), plane_normal=(0.0, 1.0, 0.0)),
            frozenset({"stomach_fluid"}),
        ),
    ]


def portal_system(frame: Frame, jit: Jitter) -> list[Structure]:
    """Portal vein from the confluence behind the pancreatic neck to the liver hilum, the splenic
    vein along the back of the pancreas, the superior mesenteric vein below."""
    soft = CAVITY | {"pancreas", "liver"}
    parts: list[Structure] = []
    for name in ("portal vein", "splenic vein", "superior mesenteric vein"):  # each from the confluence
        parts += paint_tube("portal vein and splenic vein", "portal", vessel(frame, jit, name), soft)
    return parts


def colon(body: Body, frame: Frame, jit: Jitter) -> list[Structure]:
    """Caecum to rectum around the small bowel: wall and mottled content with pockets of gas."""
    segments = vessel(frame, jit, "colon")
    parts = bowel_tube("colon", segments, "colon_content")
    for s in segments:  # the gas painted over the content only
        gas = FieldSolid(s, jit.seed(), sigma_mm=6.0, threshold=0.3)
        parts.append(Structure(None, "gas", gas, frozenset({"colon_content"})))
    return parts


def bowel_tube(label: str, segments: list[Capsule], content: str) -> list[Structure]:
    """A bowel segment: its wall (`BOWEL_WALL_MM`) round a lumen of `content`, both labelled `label`."""
    lumen = [Structure(None, content, Inset(s, BOWEL_WALL_MM), frozenset({"bowel_wall"})) for s in segments]
    return paint_tube(label, "bowel_wall", segments, CAVITY) + lumen


def small_bowel(body: Body, frame: Frame, jit: Jitter) -> list[Structure]:
    """Loops where a smooth field crosses a threshold in the central abdomen; the rest of the
    mesentery stays fat. More visceral fat, fewer loops. Each loop is a wall (`BOWEL_WALL_MM`) round
    enteric fluid with pockets of gas; a loop too narrow for a lumen is all wall, as a collapsed one is."""
    at = reference.landmark("small_bowel")
    (rx, ry, rz), behind = at["radii_mm"], at["retroperitoneum_y_mm"]
    region = Clipped(  # intraperitoneal: in front of the kidneys and great vessels (retroperitoneal)
        Blob(frame.p(*at["centre_mm"]), (rx * frame.sxy, ry * frame.sxy, rz * frame.sz)),
        plane_point=(0.0, behind * frame.sxy, 0.0),
        plane_normal=(0.0, 1.0, 0.0),
    )
    threshold = -0.2 + 0.9 * body.visceral_fat
    loops = FieldSolid(region, jit.seed(), sigma_mm=7.0, threshold=threshold)
    gas = FieldSolid(region, jit.seed(), sigma_mm=5.0, threshold=1.8)
    return [
        Structure("small bowel", "bowel_wall", loops, CAVITY),
        Structure(None, "bowel_fluid", Inset(loops, BOWEL_WALL_MM), frozenset({"bowel_wall"}), on_label="small bowel"),
        Structure(None, "gas", gas, frozenset({"bowel_fluid"}), on_label="small bowel"),
    ]
