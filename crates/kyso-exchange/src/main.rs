//! kyso-exchange: the reference provincial exchange endpoint (being written).
fn main() {}
