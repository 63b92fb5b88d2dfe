//! Write the seed corpora: `fuzz-seeds DIR` makes `DIR/<target>/seed-N`
//! for every target (cargo-fuzz's corpus layout).

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: fuzz-seeds DIR");
        std::process::exit(2);
    };
    for (name, _) in omv_fuzzcheck::TARGETS {
        let d = dir.join(name);
        std::fs::create_dir_all(&d)?;
        let seeds = omv_fuzzcheck::seeds::of(name);
        for (i, s) in seeds.iter().enumerate() {
            std::fs::write(d.join(format!("seed-{i}")), s)?;
        }
        println!("{}: {} seeds", d.display(), seeds.len());
    }
    Ok(())
}
