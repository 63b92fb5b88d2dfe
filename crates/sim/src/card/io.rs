//! The card's commands: [`BlockDevice`] for [`SimCard`], with the timing
//! of each block and the injected faults.

use embedded_sdmmc::{Block, BlockCount, BlockDevice, BlockIdx};

use super::{cut, CardError, SimCard, State, TORN_BYTES};

/// What one block write costs.
struct Cost {
    /// Everything: command, transfer, busy (ns).
    ns: u64,
    /// The card's busy time: latency, programming, random-write cost,
    /// stalls (ns).
    busy_ns: u64,
    random: bool,
    /// Stalls at this block: how many, how long in all (µs).
    stall: Option<(u32, u64)>,
}

impl State {
    /// Advance the clock by `ns` (with sub-µs carry); returns whole µs.
    fn spend(&mut self, ns: u64) -> u64 {
        if !self.timed {
            return 0;
        }
        let total = self.carry_ns + ns;
        self.carry_ns = total % 1000;
        let us = total / 1000;
        self.clock.advance_us(us);
        us
    }

    /// The cost of writing block `idx`, the first of its command or not
    /// (the model's command cost is charged with the first block).
    fn write_cost(&mut self, first: bool, idx: u32) -> Cost {
        let mut cost = Cost {
            ns: 0,
            busy_ns: 0,
            random: false,
            stall: None,
        };
        if !self.timed {
            return cost;
        }
        if first {
            let c = self.model.begin_write(idx);
            cost.ns += c.ns;
            cost.busy_ns += c.busy_ns;
            cost.random = c.random;
        }
        let b = self.model.write_block(idx);
        cost.ns += b.ns;
        cost.busy_ns += b.busy_ns;
        if b.stalls > 0 {
            cost.stall = Some((b.stalls, b.stall_us));
        }
        cost
    }
}

impl BlockDevice for SimCard {
    type Error = CardError;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), CardError> {
        let mut st = self.lock();
        self.check_live(&st)?;
        let n = blocks.len() as u64;
        if u64::from(start.0) + n > u64::from(st.blocks) {
            return Err(CardError::OutOfRange { block: start.0 });
        }
        let ns = if st.timed {
            st.model.read(start.0, blocks.len() as u32)
        } else {
            0
        };
        if let Some(t) = st.faults.power_cut_at_us {
            if st.timed && st.clock.now().saturating_add(ns / 1000) > t {
                let at = st.clock.now().max(t);
                st.clock.advance_to(at);
                cut(&mut st);
                return Err(CardError::PowerCut { at_us: at });
            }
        }
        let us = st.spend(ns);
        st.stats.read_cmds += 1;
        st.stats.read_us += us;
        // The blocks before an injected read fault are read, then the
        // fault is reported; the backing sees the command whole.
        let fault = st
            .faults
            .read_error
            .filter(|f| f.block >= start.0 && u64::from(f.block - start.0) < n);
        let good = fault.map_or(blocks.len(), |f| (f.block - start.0) as usize);
        if good > 0 {
            st.backing
                .read(start.0, &mut blocks[..good])
                .map_err(|_| CardError::HostIo)?;
            st.stats.blocks_read += good as u64;
            st.last_read = Some(start.0 + good as u32 - 1);
        }
        if let Some(f) = fault {
            if !f.persistent {
                st.faults.read_error = None;
            }
            return Err(CardError::ReadFault { block: f.block });
        }
        Ok(())
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), CardError> {
        let mut st = self.lock();
        self.check_live(&st)?;
        if u64::from(start.0) + blocks.len() as u64 > u64::from(st.blocks) {
            return Err(CardError::OutOfRange { block: start.0 });
        }
        let (mut cmd_us, mut busy_ns) = (0, 0);
        let mut result = Ok(());
        // Faults and timing block by block; the blocks that made it reach
        // the backing as one write (a torn block is written on its own).
        let mut good = 0;
        for (i, b) in blocks.iter().enumerate() {
            let idx = start.0 + i as u32;
            match self.write_block(&mut st, i == 0, idx, &b.contents) {
                Ok((us, busy)) => {
                    cmd_us += us;
                    busy_ns += busy;
                    good = i + 1;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if good > 0 {
            st.backing
                .write(start.0, &blocks[..good])
                .map_err(|_| CardError::HostIo)?;
        }
        if st.timed {
            st.stats.record_write(cmd_us, busy_ns / 1000);
        }
        result
    }

    fn num_blocks(&self) -> Result<BlockCount, CardError> {
        Ok(BlockCount(self.lock().blocks))
    }
}

impl SimCard {
    /// Account for writing one block: faults and timing; the µs it took and
    /// the card's busy ns within them. The caller writes the data of the
    /// blocks that succeed; a torn block is written here.
    fn write_block(
        &self,
        st: &mut State,
        first: bool,
        idx: u32,
        data: &[u8; 512],
    ) -> Result<(u64, u64), CardError> {
        let f = st.faults;
        let torn = |st: &mut State| {
            if f.torn_block {
                let mut old = [Block::new()];
                if st.backing.read(idx, &mut old).is_ok() {
                    old[0].contents[..TORN_BYTES].copy_from_slice(&data[..TORN_BYTES]);
                    let _ = st.backing.write(idx, &old);
                    st.stats.blocks_written += 1;
                }
            }
        };
        if f.power_cut_after_writes
            .is_some_and(|n| st.writes_since_armed >= n)
        {
            torn(st);
            let at = st.clock.now();
            cut(st);
            return Err(CardError::PowerCut { at_us: at });
        }
        if f.write_limit.is_some_and(|n| st.writes_since_armed >= n) {
            return Err(CardError::CardFull { block: idx });
        }
        if let Some(wf) = f.write_error {
            if wf.block == idx {
                if !wf.persistent {
                    st.faults.write_error = None;
                }
                return Err(CardError::WriteFault { block: idx });
            }
        }
        let Cost {
            ns,
            busy_ns,
            random,
            stall,
        } = st.write_cost(first, idx);
        if let Some(t) = f.power_cut_at_us {
            if st.timed && st.clock.now().saturating_add(ns / 1000) > t {
                let at = st.clock.now().max(t);
                st.clock.advance_to(at);
                torn(st);
                cut(st);
                return Err(CardError::PowerCut { at_us: at });
            }
        }
        let us = st.spend(ns);
        st.writes_since_armed += 1;
        if st.timed {
            st.stats.blocks_written += 1;
            if random {
                st.stats.random_writes += 1;
            }
            if let Some((n, s)) = stall {
                st.stats.stalls += u64::from(n);
                st.stats.longest_stall_us = st.stats.longest_stall_us.max(s);
            }
        }
        Ok((us, busy_ns))
    }
}
