//! A byte buffer seen as `embedded-sdmmc` blocks, so a frame goes to the
//! card in one multi-block command straight from the caller's memory (no
//! copy, no staging buffer the size of a frame).

use embedded_sdmmc::Block;

// `Block` is `struct Block { pub contents: [u8; 512] }` without a `repr`.
// Rust guarantees a field lies inside its struct; with the struct exactly
// 512 bytes and byte-aligned, the only place for a 512-byte field is offset
// 0, so `Block` has the layout of `[u8; 512]`. Checked at compile time: a
// future `embedded-sdmmc` that changed it would not build.
const _: () = assert!(core::mem::size_of::<Block>() == 512);
const _: () = assert!(core::mem::align_of::<Block>() == 1);

/// `bytes` (a multiple of 512 long) as blocks.
pub(crate) fn as_blocks(bytes: &[u8]) -> &[Block] {
    let n = bytes.len() / Block::LEN;
    #[allow(unsafe_code)]
    // SAFETY: `Block` has the layout of `[u8; 512]` (see the assertions
    // above), every bit pattern is valid, alignment is 1, and the slice
    // covers `n * 512 <= bytes.len()` bytes borrowed for the same lifetime.
    unsafe {
        core::slice::from_raw_parts(bytes.as_ptr().cast::<Block>(), n)
    }
}

/// `bytes` (a multiple of 512 long) as mutable blocks.
pub(crate) fn as_blocks_mut(bytes: &mut [u8]) -> &mut [Block] {
    let n = bytes.len() / Block::LEN;
    #[allow(unsafe_code)]
    // SAFETY: as in `as_blocks`; the borrow is unique.
    unsafe {
        core::slice::from_raw_parts_mut(bytes.as_mut_ptr().cast::<Block>(), n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_the_same_bytes() {
        let mut buf = [0u8; 1536];
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (i / 512) as u8 + 1;
        }
        let blocks = as_blocks(&buf[..1024]);
        assert_eq!(blocks.len(), 2);
        assert!(blocks[0].contents.iter().all(|&b| b == 1));
        assert!(blocks[1].contents.iter().all(|&b| b == 2));
        as_blocks_mut(&mut buf[512..])[1].contents[0] = 9;
        assert_eq!(buf[1024], 9);
    }
}
