// Per-step values every position-dependent kernel reads (ops::Step mirrors it): the first
// position of the step and how many of its planned token rows run. Written once per step, so
// every bind group stays fixed. The composer (ops::shader) prepends this file.

struct Step {
    pos: u32,
    n_tokens: u32,
    _pad0: u32,
    _pad1: u32,
}
