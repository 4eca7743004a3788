"""MR physics shared by the MR generators: a tissue table of published relaxation times
(`tissue`), clinical sequences and their parameters (`sequence`), the signal equations
(`signal`), image formation on a tissue map (`image`) and sequence-aware quality control (`qc`)."""
