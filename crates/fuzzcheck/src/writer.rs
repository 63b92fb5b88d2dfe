//! Writer against a model: the bytes are a sequence of operations (write a
//! frame, seek, read, advance the clock). After each, `count()` and
//! `offset()` match a `Vec` of frames; at the end a fresh reader of the file
//! finds exactly the model's frames.

use std::io::Cursor;

use omv_imageio::{
    Clock, FileOptions, FileStream, Image, ManualClock, PixFormat, ReadOptions, StdIo,
};

type Frame = (u32, u32, Vec<u8>);

/// The target body.
pub fn run(data: &[u8]) {
    let file = StdIo(Cursor::new(Vec::new()));
    let mut s =
        FileStream::<_, _>::create(file, ManualClock::new(0), FileOptions::default()).unwrap();
    let mut model: Vec<Frame> = Vec::new();
    let mut offset = 0usize;
    let mut fb = vec![0u8; 64 * 64];
    let mut ops = data.iter().copied();
    while let Some(op) = ops.next() {
        let arg = ops.next().unwrap_or(0);
        match op % 4 {
            0 => {
                // GRAYSCALE w×h, 1..=64 each, filled with a per-frame byte.
                let (w, h) = (u32::from(arg % 64) + 1, u32::from(op / 4 % 16) + 1);
                let px = vec![arg; (w * h) as usize];
                s.write(&Image::new(w, h, PixFormat::Grayscale, &px))
                    .unwrap();
                model.truncate(offset);
                model.push((w, h, px));
                offset += 1;
                assert_eq!(s.count().unwrap() as usize, model.len());
            }
            1 => {
                let target = u32::from(arg) % (model.len() as u32 + 2);
                match s.seek(target) {
                    Ok(()) => offset = target as usize,
                    Err(_) => assert!(target as usize > model.len(), "seek({target}) failed"),
                }
            }
            2 => match s.read(&mut fb, ReadOptions::FAST_ONCE).unwrap() {
                Some(f) => {
                    let (w, h, px) = &model[offset];
                    assert_eq!((f.width, f.height), (*w, *h));
                    assert_eq!(&fb[..px.len()], &px[..]);
                    offset += 1;
                }
                None => assert_eq!(offset, model.len()),
            },
            _ => s.time_mut().advance_us(u64::from(arg) * 997),
        }
        assert_eq!(s.offset().unwrap() as usize, offset);
        assert!(s.count().unwrap() as usize <= model.len());
    }
    let bytes = s.into_inner().0.into_inner();
    let mut r = FileStream::<_, _>::open_read(
        StdIo(Cursor::new(bytes)),
        ManualClock::new(0),
        FileOptions::default(),
    )
    .unwrap();
    for (i, (w, h, px)) in model.iter().enumerate() {
        let f = r.read(&mut fb, ReadOptions::FAST_ONCE).unwrap();
        let f = f.unwrap_or_else(|| panic!("frame {i} of {} missing", model.len()));
        assert_eq!((f.width, f.height, &fb[..px.len()]), (*w, *h, &px[..]));
    }
    assert!(r.read(&mut fb, ReadOptions::FAST_ONCE).unwrap().is_none());
    assert!(r.truncated_tail().is_none());
    let _ = r.time_mut().now_us();
}
