pub fn run(_f: &std::path::Path, _j: bool) -> i32 {
    2
}
