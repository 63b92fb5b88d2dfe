//! Finding and reserving free clusters for a recording writer: FAT1 is
//! read one block at a time through the writer's metadata block; clusters
//! owned by this or another writer count as taken although the FAT on the
//! card still calls them free.

use embedded_sdmmc::{BlockDevice, Error as SdError};

use super::{Extent, Recorder, GROW_BYTES, MAX_EXTENTS};
use crate::layout;

type Res<T, E> = Result<T, SdError<E>>;

/// The other recording writers on the store, whose clusters are taken.
pub(crate) struct Others<'a>(pub &'a [Option<Recorder>], pub &'a [Option<Recorder>]);

impl Others<'_> {
    fn own(&self, c: u32) -> bool {
        self.0.iter().chain(self.1).flatten().any(|r| r.owns(c))
    }
}

impl Recorder {
    /// True if `c`'s FAT1 entry is free (reads FAT blocks through `meta`,
    /// keeping the last one read in `cached`).
    fn is_free<D: BlockDevice>(
        &mut self,
        dev: &D,
        c: u32,
        cached: &mut Option<u32>,
    ) -> Res<bool, D::Error> {
        let (blk, off) = self.lay.entry_pos(c);
        if *cached != Some(blk) {
            *cached = None;
            layout::read_block(dev, self.lay.fat1 + blk, &mut self.meta)?;
            *cached = Some(blk);
        }
        Ok(self.lay.get(&self.meta.contents, off) == 0)
    }

    /// Free clusters from `from` on, at most `want`, stopping at a used or
    /// owned one.
    fn free_run<D: BlockDevice>(
        &mut self,
        dev: &D,
        others: &Others<'_>,
        from: u32,
        want: u32,
    ) -> Res<u32, D::Error> {
        let mut cached = None;
        let mut n = 0;
        while n < want && from + n <= self.lay.max_cluster {
            let c = from + n;
            if self.owns(c) || others.own(c) || !self.is_free(dev, c, &mut cached)? {
                break;
            }
            n += 1;
        }
        Ok(n)
    }

    /// The first free cluster not owned, from `hint` on, wrapping once.
    fn find_free<D: BlockDevice>(
        &mut self,
        dev: &D,
        others: &Others<'_>,
        hint: u32,
    ) -> Res<Option<u32>, D::Error> {
        let max = self.lay.max_cluster;
        let hint = if (2..=max).contains(&hint) { hint } else { 2 };
        let mut cached = None;
        for c in (hint..=max).chain(2..hint) {
            if !self.owns(c) && !others.own(c) && self.is_free(dev, c, &mut cached)? {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    /// Own at least `need` clusters, growing by [`GROW_BYTES`] at a time:
    /// the last extent if the clusters after it are free, else a new
    /// extent from `hint` (updated past it). Returns false if the card is
    /// full (or too fragmented) before `need`.
    pub(super) fn reserve<D: BlockDevice>(
        &mut self,
        dev: &D,
        others: &Others<'_>,
        need: u32,
        hint: &mut u32,
    ) -> Res<bool, D::Error> {
        let grow = (GROW_BYTES / self.lay.cluster_bytes()).max(1);
        while self.owned < need {
            let want = grow.max(need - self.owned);
            if self.n_ext > 0 {
                let last = self.ext[self.n_ext - 1];
                let k = self.free_run(dev, others, last.first + last.len, want)?;
                if k > 0 {
                    self.ext[self.n_ext - 1].len += k;
                    self.owned += k;
                    *hint = last.first + last.len + k;
                    continue;
                }
            }
            if self.n_ext == MAX_EXTENTS {
                return Ok(false);
            }
            let Some(start) = self.find_free(dev, others, *hint)? else {
                return Ok(false);
            };
            let k = self.free_run(dev, others, start, want)?;
            self.ext[self.n_ext] = Extent {
                first: start,
                len: k,
            };
            self.n_ext += 1;
            self.owned += k;
            *hint = start + k;
        }
        Ok(true)
    }
}
