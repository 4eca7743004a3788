"""The reference frame and the body wall: sizes scale with frame and stature (organs with their own
scale), the wall's layers nest skin > fat > muscle > cavity, and the diaphragm descends on
inspiration."""

import numpy as np

from models.phantom_ct.body import WALL_MM, Body, Frame, Jitter, body_wall, diaphragm, section, wall_point


def body(**changes) -> Body:
    base = {
        "sex": "M",
        "age": 50.0,
        "frame_scale": 1.0,
        "height_scale": 1.0,
        "fat_mm": 20.0,
        "visceral_fat": 0.5,
        "organ_scale": {},
        "inspiration": 0.5,
        "stomach_gas": 0.2,
        "bladder_fill": 0.5,
    }
    return Body(**{**base, **changes})


def test_the_frame_scales_places_by_build_and_organs_by_their_own_scale():
    frame = Frame(body(frame_scale=1.1, height_scale=0.9))
    assert frame.p(10.0, 20.0, 100.0) == (11.0, 22.0, 90.0)
    assert frame.r(10.0, 10.0, 10.0, scale=1.2) == (12.0, 12.0, 12.0 * 0.9)


def test_the_wall_layers_nest_and_the_wall_point_lies_between_skin_and_cavity():
    frame = Frame(body(fat_mm=25.0))
    skin, fat, muscle, cavity = (s.solid for s in body_wall(frame.body, frame))
    z = np.array([300.0], dtype=np.float32)[:, None, None]
    y = np.array([0.0], dtype=np.float32)[None, :, None]
    x = np.arange(0.0, 260.0, 1.0, dtype=np.float32)[None, None, :]
    widths = [int(solid.inside(x, y, z).sum()) for solid in (skin, fat, muscle, cavity)]
    assert widths == sorted(widths, reverse=True) and widths[-1] > 0
    assert abs(widths[0] - widths[2] - 25) <= 1  # the fat is fat_mm thick at the side
    side_x, _ = wall_point(frame, 300.0, np.pi / 2)  # the patient's left
    assert widths[2] - WALL_MM <= side_x <= widths[2]
    assert section(frame, 10.0).half_widths[0] == section(frame, 0.0).half_widths[0] + 10.0


def test_deep_inspiration_lowers_the_diaphragm():
    tops = []
    for inspiration in (0.0, 1.0):
        frame = Frame(body(inspiration=inspiration))
        tops.append(diaphragm(frame.body, frame, Jitter(np.random.default_rng(0))).right_top)
    assert abs(tops[0] - tops[1] - 35.0) < 1e-6  # the same draws, 35 mm apart


def test_jitter_is_drawn_from_the_stream_it_is_given():
    a, b = Jitter(np.random.default_rng(4)), Jitter(np.random.default_rng(4))
    assert a.point((0.0, 0.0, 0.0)) == b.point((0.0, 0.0, 0.0)) and a.factor() == b.factor()
    bends = a.bend(), b.bend()
    assert len(bends[0]) == 9 and bends[0] == bends[1] and a.seed() == b.seed()
    assert Jitter(np.random.default_rng(5)).point((0.0, 0.0, 0.0)) != a.point((0.0, 0.0, 0.0))
