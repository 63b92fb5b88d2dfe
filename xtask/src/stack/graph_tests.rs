use super::*;
use crate::stack::disasm::parse;
use crate::stack::frame::frame;

/// A small image: Reset -> main -> {leaf, tail-called big}, an indirect
/// call in main, `cb` address-taken through a literal pool.
const IMAGE: &str = "\
00000100 <Reset>:
 100:\tb580      \tpush\t{r7, lr}
 102:\tf000 f801 \tbl\t108 <main>
 106:\te7fe      \tb.n\t106 <Reset+0x6>
00000108 <main>:
 108:\tb5f0      \tpush\t{r4, r5, r6, r7, lr}
 10a:\tb082      \tsub\tsp, #8
 10c:\tf000 f806 \tbl\t11c <leaf>
 110:\t4798      \tblx\tr3
 112:\tf000 b807 \tb.w\t124 <big>
 116:\tbf00      \tnop
 118:\t00000131 \t.word\t0x00000131
0000011c <leaf>:
 11c:\tb480      \tpush\t{r7}
 11e:\tbc80      \tpop\t{r7}
 120:\t4770      \tbx\tlr
 122:\tbf00      \tnop
00000124 <big>:
 124:\tf5ad 6d80 \tsub.w\tsp, sp, #1024
 128:\tf50d 6d80 \tadd.w\tsp, sp, #1024
 12c:\t4770      \tbx\tlr
 12e:\tbf00      \tnop
00000130 <cb>:
 130:\tb5f0      \tpush\t{r4, r5, r6, r7, lr}
 132:\tbdf0      \tpop\t{r4, r5, r6, r7, pc}
";

fn graph_of<'f>(funcs: &'f [Function], bounded: &[(&str, &str)]) -> Result<Graph<'f>, GraphError> {
    let frames = funcs.iter().map(|f| frame(f, false).unwrap()).collect();
    Graph::new(funcs, frames, &[], bounded)
}

#[test]
fn deepest_path_follows_calls_tail_calls_and_indirect_calls() {
    let funcs = parse(IMAGE).unwrap();
    let g = graph_of(&funcs, &[]).unwrap();
    assert_eq!(g.address_taken(), 1, "cb, from main's literal pool");
    let (total, path) = g.deepest(0, 1).unwrap();
    // Reset 8 + main 28 + big 1024 (the tail call outweighs leaf and cb).
    assert_eq!(total, 8 + 28 + 1024);
    let names: Vec<&str> = path.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Reset", "main", "big"]);
}

#[test]
fn an_indirect_call_reaches_the_deepest_address_taken_function() {
    let text = IMAGE.replace("sub.w\tsp, sp, #1024", "sub.w\tsp, sp, #4");
    let funcs = parse(&text).unwrap();
    let g = graph_of(&funcs, &[]).unwrap();
    let (total, path) = g.deepest(0, 1).unwrap();
    assert_eq!(total, 8 + 28 + 20, "cb's 20 bytes now beat big's 4");
    assert_eq!(path[2].name, INDIRECT);
    assert_eq!(path[3].name, "cb");
    // With no indirect call counted, cb drops out.
    assert_eq!(g.deepest(0, 0).unwrap().0, 8 + 28 + 4);
}

#[test]
fn function_pointers_in_data_sections_are_address_taken() {
    let text = IMAGE.replace("\t.word\t0x00000131", "\t.word\t0x00000000");
    let funcs = parse(&text).unwrap();
    let frames: Vec<u32> = funcs.iter().map(|f| frame(f, false).unwrap()).collect();
    assert_eq!(
        Graph::new(&funcs, frames.clone(), &[], &[])
            .unwrap()
            .address_taken(),
        0
    );
    let g = Graph::new(&funcs, frames, &[0x1234, 0x131], &[]).unwrap();
    assert_eq!(g.address_taken(), 1);
}

#[test]
fn recursion_fails_naming_the_cycle_unless_reviewed() {
    let text = IMAGE.replace(
        "4770      \tbx\tlr\n 122",
        "f7ff fff2 \tbl\t108 <main>\n 122",
    );
    let funcs = parse(&text).unwrap();
    let g = graph_of(&funcs, &[]).unwrap();
    let e = g.deepest(0, 1).unwrap_err();
    assert_eq!(e, GraphError::Cycle(vec!["main".into(), "leaf".into()]));
    assert!(e.to_string().contains("main -> leaf"), "{e}");
    // Reviewed as bounded: the back edge is taken once, main counts twice.
    let g = graph_of(&funcs, &[("leaf", "main")]).unwrap();
    let (total, _) = g.deepest(0, 1).unwrap();
    assert_eq!(total, 8 + 28 + 4 + 28 + 1024);
}

#[test]
fn a_call_into_nothing_is_an_error() {
    let text = IMAGE.replace("bl\t11c <leaf>", "bl\t900 <nowhere>");
    let funcs = parse(&text).unwrap();
    let e = graph_of(&funcs, &[]).unwrap_err();
    assert!(matches!(e, GraphError::Dangling { to: 0x900, .. }), "{e:?}");
}

#[test]
fn flows() {
    let i = |m: &str, o: &str| Insn {
        addr: 0,
        raw: String::new(),
        mnemonic: m.into(),
        operands: o.into(),
    };
    assert_eq!(flow(&i("bl", "8000 <f>")), Flow::To(0x8000));
    assert_eq!(flow(&i("bne.w", "8000 <f+0x4>")), Flow::To(0x8000));
    assert_eq!(flow(&i("cbz", "r0, 8000 <f+0x4>")), Flow::To(0x8000));
    assert_eq!(flow(&i("blx", "r3")), Flow::Indirect);
    assert_eq!(flow(&i("bx", "r3")), Flow::Indirect);
    assert_eq!(flow(&i("bx", "lr")), Flow::Local);
    assert_eq!(flow(&i("ldr.w", "pc, [sp], #4")), Flow::Local);
    assert_eq!(flow(&i("pop", "{r4, pc}")), Flow::Local);
}
