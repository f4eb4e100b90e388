//! A thorough DEFLATE encoder (RFC 1951) in a zlib wrapper (RFC 1950), for the
//! re-encoding of a badge that is served again.
//!
//! zlib-style encoders choose their matches greedily (lazily, at best). This one picks
//! the parse that costs the fewest bits under the codes it will use, as Zopfli does: it
//! finds, at every position, the nearest earlier occurrence of every match length
//! (looking where an image repeats itself, in the rows above, besides a hash chain),
//! prices every literal and match with the code lengths of the previous pass, and keeps
//! the cheapest path through the data. It then cuts the data into blocks wherever
//! codes of their own save bits, and parses each block again under its codes.
//!
//! On the sample card at scale 2 that is 9 % fewer bytes than zlib's level 9, for
//! ~115 ms of one core instead of ~4 (BENCHMARKS.md, "PNG bytes"): work done once per
//! badge that proves popular, off the request path.

/// The sliding window, and the longest and shortest matches DEFLATE can express.
const WINDOW: usize = 1 << 15;
const MAX_MATCH: usize = 258;
const MIN_MATCH: usize = 3;
/// How many earlier positions with the same eight bytes are tried per position (the
/// same four would be mostly the background's).
const MAX_CHAIN: usize = 32;
/// Besides the positions with the same bytes, matches are looked for in the rows
/// above, up to `ROWS` of them and `SHIFTS` pixels either side: an image repeats its
/// rows, and a slanted edge repeats them shifted.
const ROWS: usize = 24;
const SHIFTS: usize = 1;
/// Passes of pricing and parsing.
const PASSES: usize = 3;

/// The end-of-block symbol, and the sizes of the alphabets.
const END: usize = 256;
const LITLEN: usize = 286;
const DISTS: usize = 30;

/// Base length and extra bits of length codes 257–285.
const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Base distance and extra bits of distance codes 0–29.
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// The order code-length code lengths are sent in.
const CL_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// The length code (0–28, for symbols 257–285) of a match length.
fn len_code(len: usize) -> usize {
    LEN_BASE.partition_point(|&base| usize::from(base) <= len) - 1
}

/// The distance code (0–29) of a distance.
fn dist_code(dist: usize) -> usize {
    DIST_BASE.partition_point(|&base| usize::from(base) <= dist) - 1
}

/// One step of a parse: a literal byte, or a match of `len` bytes `dist` back.
#[derive(Clone, Copy)]
enum Step {
    Literal(u8),
    Match { len: u16, dist: u16 },
}

impl Step {
    /// How many bytes of the data the step covers.
    fn len(&self) -> usize {
        match *self {
            Step::Literal(_) => 1,
            Step::Match { len, .. } => usize::from(len),
        }
    }
}

/// `data` as a zlib stream: one dynamic-Huffman DEFLATE block, optimally parsed.
pub(crate) fn zlib(data: &[u8], stride: usize) -> Vec<u8> {
    let matches = Matches::find(data, stride);
    // The whole data first, priced as the fixed codes would price it at first.
    let mut lengths = fixed_lengths();
    let mut steps = Vec::new();
    for _ in 0..PASSES {
        steps = parse(data, &matches, &lengths, 0..data.len());
        let (lit, dist) = histogram(&steps);
        let block = Block::new(&lit, &dist);
        lengths = (block.lit_len, block.dist_len);
    }
    // Then in blocks, each with codes of its own, each parsed again under them.
    let mut out = BitWriter::with_capacity(data.len() / 8 + 64);
    out.bytes(&[0x78, 0xda]);
    let blocks = split(&steps);
    let mut at = 0;
    for (b, &(first, last)) in blocks.iter().enumerate() {
        let range = at..at + steps[first..last].iter().map(Step::len).sum::<usize>();
        at = range.end;
        let mut best = steps[first..last].to_vec();
        let (lit, dist) = histogram(&best);
        let mut block = Block::new(&lit, &dist);
        let mut bits = block.bits(&lit, &dist);
        for _ in 1..PASSES {
            let again = parse(
                data,
                &matches,
                &(block.lit_len, block.dist_len),
                range.clone(),
            );
            let (lit, dist) = histogram(&again);
            let next = Block::new(&lit, &dist);
            let next_bits = next.bits(&lit, &dist);
            if next_bits >= bits {
                break;
            }
            (best, block, bits) = (again, next, next_bits);
        }
        block.write(&best, b + 1 == blocks.len(), &mut out);
    }
    let mut bytes = out.finish();
    bytes.extend_from_slice(&adler32(data).to_be_bytes());
    bytes
}

/// Where `steps` are best cut into blocks, each with its own codes: the ranges of
/// steps, found by cutting in two wherever that saves bits, and again in each part.
fn split(steps: &[Step]) -> Vec<(usize, usize)> {
    // Cumulative histograms every `GRAIN` steps, so that any range's is a difference.
    const GRAIN: usize = 512;
    let points: Vec<usize> = (0..steps.len())
        .step_by(GRAIN)
        .chain(std::iter::once(steps.len()))
        .collect();
    let mut sums = vec![([0_u32; LITLEN], [0_u32; DISTS])];
    for w in points.windows(2) {
        let (mut lit, mut dist) = *sums.last().expect("one");
        let (l, d) = histogram(&steps[w[0]..w[1]]);
        lit.iter_mut().zip(l).for_each(|(a, b)| *a += b);
        dist.iter_mut().zip(d).for_each(|(a, b)| *a += b);
        // `histogram` counts an end-of-block in every chunk; keep one per range.
        lit[END] -= 1;
        sums.push((lit, dist));
    }
    let cost = |a: usize, b: usize| {
        let (to, from) = (&sums[b], &sums[a]);
        let mut lit: [u32; LITLEN] = std::array::from_fn(|s| to.0[s] - from.0[s]);
        let dist: [u32; DISTS] = std::array::from_fn(|s| to.1[s] - from.1[s]);
        lit[END] = 1;
        Block::new(&lit, &dist).bits(&lit, &dist)
    };
    // Ranges of `points` indices; cut each where the two halves cost least.
    let mut todo = vec![(0, points.len() - 1)];
    let mut done = Vec::new();
    while let Some((a, b)) = todo.pop() {
        let whole = cost(a, b);
        // A coarse look, then a fine one around the best coarse cut.
        let step = ((b - a) / 16).max(1);
        let best_cut = |range: std::ops::Range<usize>, by: usize| {
            range
                .step_by(by)
                .map(|m| (cost(a, m) + cost(m, b), m))
                .min()
        };
        let cut = best_cut(a + 1..b, step)
            .and_then(|(_, m)| best_cut(m.saturating_sub(step).max(a + 1)..(m + step).min(b), 1))
            .filter(|&(bits, _)| bits + 64 < whole && done.len() + todo.len() < 30);
        match cut {
            Some((_, m)) => {
                todo.push((m, b));
                todo.push((a, m));
            }
            None => done.push((a, b)),
        }
    }
    done.sort_unstable();
    done.into_iter()
        .map(|(a, b)| (points[a], points[b]))
        .collect()
}

/// Code lengths of the fixed Huffman codes, as a first price list.
fn fixed_lengths() -> ([u8; LITLEN], [u8; DISTS]) {
    let mut lit = [8; LITLEN];
    lit[144..256].fill(9);
    lit[256..280].fill(7);
    (lit, [5; DISTS])
}

/// For every position, the nearest earlier occurrence of each match length: a short
/// list of (length, distance), lengths rising, where every length up to an entry's
/// (and above the previous entry's) is best reached at that entry's distance.
struct Matches {
    /// Where each position's entries start in `entries`; one more at the end.
    start: Vec<u32>,
    entries: Vec<(u16, u16)>,
}

impl Matches {
    fn find(data: &[u8], stride: usize) -> Matches {
        const HASH_BITS: u32 = 16;
        let n = data.len();
        let mut head = vec![u32::MAX; 1 << HASH_BITS];
        let mut prev = vec![u32::MAX; WINDOW];
        let mut start = Vec::with_capacity(n + 1);
        let mut entries = Vec::with_capacity(n);
        let mut chained: Vec<usize> = Vec::with_capacity(MAX_CHAIN);
        let hash = |i: usize| {
            let v = u64::from_le_bytes(data[i..i + 8].try_into().expect("8 bytes"));
            (v.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - HASH_BITS)) as usize
        };
        // The pixel before, then the rows above and a pixel either side.
        let mut row_offsets = vec![1];
        if let Some(rows) = (WINDOW - 3).checked_div(stride) {
            for k in 1..=ROWS.min(rows) {
                for shift in -(SHIFTS as isize)..=SHIFTS as isize {
                    let d = (k * stride) as isize + shift;
                    if d > 1 && (d as usize) < WINDOW {
                        row_offsets.push(d as usize);
                    }
                }
            }
        }
        for i in 0..n {
            start.push(entries.len() as u32);
            if i + 8 > n {
                continue;
            }
            let limit = (n - i).min(MAX_MATCH);
            let h = hash(i);
            chained.clear();
            let mut candidate = head[h];
            while chained.len() < MAX_CHAIN
                && candidate != u32::MAX
                && i - (candidate as usize) < WINDOW
            {
                chained.push(i - candidate as usize);
                candidate = prev[candidate as usize % WINDOW];
            }
            prev[i % WINDOW] = head[h];
            head[h] = i as u32;
            // Nearest first (the chain and the row offsets each rise, so they are
            // merged): a farther match is worth keeping only if it is longer.
            let mut best = MIN_MATCH - 1;
            let (mut a, mut b) = (0, 0);
            let mut last = 0;
            loop {
                let d = match (chained.get(a), row_offsets.get(b)) {
                    (Some(&x), Some(&y)) if x <= y => {
                        a += 1;
                        x
                    }
                    (_, Some(&y)) => {
                        b += 1;
                        y
                    }
                    (Some(&x), None) => {
                        a += 1;
                        x
                    }
                    (None, None) => break,
                };
                if d > i {
                    break;
                }
                if d == last {
                    continue;
                }
                last = d;
                let c = i - d;
                if data[c + best] != data[i + best] || data[c..c + 2] != data[i..i + 2] {
                    continue;
                }
                let len = common_prefix(&data[c..], &data[i..], limit);
                if len > best {
                    best = len;
                    entries.push((len as u16, d as u16));
                    if len == limit {
                        break;
                    }
                }
            }
        }
        start.push(entries.len() as u32);
        Matches { start, entries }
    }

    fn at(&self, i: usize) -> &[(u16, u16)] {
        &self.entries[self.start[i] as usize..self.start[i + 1] as usize]
    }
}

/// How many bytes `a` and `b` share at their start, up to `limit`.
fn common_prefix(a: &[u8], b: &[u8], limit: usize) -> usize {
    let (a, b) = (&a[..limit.min(a.len())], &b[..limit.min(b.len())]);
    let mut len = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let diff = u64::from_le_bytes(x.try_into().expect("8 bytes"))
            ^ u64::from_le_bytes(y.try_into().expect("8 bytes"));
        if diff != 0 {
            return len + (diff.trailing_zeros() / 8) as usize;
        }
        len += 8;
    }
    len + a[len..]
        .iter()
        .zip(&b[len..])
        .take_while(|(x, y)| x == y)
        .count()
}

/// The cheapest parse of `data` under the code lengths `lengths` (a zero length, a
/// symbol the previous codes did not have, is priced as a long code).
fn parse(
    data: &[u8],
    matches: &Matches,
    (lit, dist): &([u8; LITLEN], [u8; DISTS]),
    range: std::ops::Range<usize>,
) -> Vec<Step> {
    let price = |bits: u8| if bits == 0 { 15 } else { u32::from(bits) };
    let lit_price: Vec<u32> = (0..256).map(|b| price(lit[b])).collect();
    let len_price: Vec<u32> = (0..=MAX_MATCH)
        .map(|len| {
            if len < MIN_MATCH {
                return 0;
            }
            let code = len_code(len);
            price(lit[257 + code]) + u32::from(LEN_EXTRA[code])
        })
        .collect();
    let dist_price = |d: usize| {
        let code = dist_code(d);
        price(dist[code]) + u32::from(DIST_EXTRA[code])
    };
    let (start, end) = (range.start, range.end);
    // cost[k]: the fewest bits to encode data[start..start + k]; from[k]: the step
    // that got there (distance 0 for a literal).
    let n = end - start;
    let mut cost = vec![u32::MAX; n + 1];
    let mut from = vec![(0_u16, 0_u16); n + 1];
    cost[0] = 0;
    for k in 0..n {
        let i = start + k;
        let here = cost[k];
        let literal = here + lit_price[usize::from(data[i])];
        if literal < cost[k + 1] {
            cost[k + 1] = literal;
            from[k + 1] = (1, 0);
        }
        let mut shorter = MIN_MATCH;
        for &(len, d) in matches.at(i) {
            let (len, d) = (usize::from(len).min(n - k), usize::from(d));
            if len < shorter {
                break;
            }
            let base = here + dist_price(d);
            for l in shorter..=len {
                let c = base + len_price[l];
                if c < cost[k + l] {
                    cost[k + l] = c;
                    from[k + l] = (l as u16, d as u16);
                }
            }
            shorter = len + 1;
        }
    }
    let mut steps = Vec::new();
    let mut k = n;
    while k > 0 {
        let (len, d) = from[k];
        if d == 0 {
            k -= 1;
            steps.push(Step::Literal(data[start + k]));
        } else {
            k -= usize::from(len);
            steps.push(Step::Match { len, dist: d });
        }
    }
    steps.reverse();
    steps
}

/// How often each literal/length and distance symbol occurs in `steps`, with one
/// end-of-block.
fn histogram(steps: &[Step]) -> ([u32; LITLEN], [u32; DISTS]) {
    let mut lit = [0; LITLEN];
    let mut dist = [0; DISTS];
    for step in steps {
        match *step {
            Step::Literal(b) => lit[usize::from(b)] += 1,
            Step::Match { len, dist: d } => {
                lit[257 + len_code(usize::from(len))] += 1;
                dist[dist_code(usize::from(d))] += 1;
            }
        }
    }
    lit[END] += 1;
    (lit, dist)
}

/// One dynamic-Huffman block's codes.
struct Block {
    lit_len: [u8; LITLEN],
    dist_len: [u8; DISTS],
    lit_code: [u16; LITLEN],
    dist_code: [u16; DISTS],
}

impl Block {
    fn new(lit: &[u32; LITLEN], dist: &[u32; DISTS]) -> Block {
        let mut lit_len = [0; LITLEN];
        lit_len.copy_from_slice(&huffman_lengths(lit, 15));
        let mut dist_len = [0; DISTS];
        dist_len.copy_from_slice(&huffman_lengths(dist, 15));
        // A block with no matches still sends one distance code.
        if dist_len.iter().all(|&l| l == 0) {
            dist_len[0] = 1;
        }
        let mut lit_code = [0; LITLEN];
        lit_code.copy_from_slice(&canonical(&lit_len));
        let mut dist_code = [0; DISTS];
        dist_code.copy_from_slice(&canonical(&dist_len));
        Block {
            lit_len,
            dist_len,
            lit_code,
            dist_code,
        }
    }

    /// How many bits the block takes for symbols counted `lit` and `dist`.
    fn bits(&self, lit: &[u32; LITLEN], dist: &[u32; DISTS]) -> usize {
        let mut header = BitWriter::with_capacity(128);
        self.header(false, &mut header);
        let mut bits = header.out.len() * 8 + header.n as usize;
        for (s, &f) in lit.iter().enumerate() {
            let extra = if s > END { LEN_EXTRA[s - 257] } else { 0 };
            bits += f as usize * usize::from(self.lit_len[s] + extra);
        }
        for (s, &f) in dist.iter().enumerate() {
            bits += f as usize * usize::from(self.dist_len[s] + DIST_EXTRA[s]);
        }
        bits
    }

    /// Writes the block (the final one if `last`): header, code tables, then `steps`
    /// and end-of-block.
    fn write(&self, steps: &[Step], last: bool, out: &mut BitWriter) {
        self.header(last, out);
        for step in steps {
            match *step {
                Step::Literal(b) => {
                    let s = usize::from(b);
                    out.code(self.lit_code[s], self.lit_len[s]);
                }
                Step::Match { len, dist } => {
                    let (len, dist) = (usize::from(len), usize::from(dist));
                    let lc = len_code(len);
                    out.code(self.lit_code[257 + lc], self.lit_len[257 + lc]);
                    out.bits((len - usize::from(LEN_BASE[lc])) as u32, LEN_EXTRA[lc]);
                    let dc = dist_code(dist);
                    out.code(self.dist_code[dc], self.dist_len[dc]);
                    out.bits((dist - usize::from(DIST_BASE[dc])) as u32, DIST_EXTRA[dc]);
                }
            }
        }
        out.code(self.lit_code[END], self.lit_len[END]);
    }

    /// The block header and its code tables.
    fn header(&self, last: bool, out: &mut BitWriter) {
        out.bits(u32::from(last), 1); // BFINAL
        out.bits(2, 2); // BTYPE = dynamic
        let hlit = 257.max(LITLEN - self.lit_len.iter().rev().take_while(|&&l| l == 0).count());
        let hdist = 1.max(DISTS - self.dist_len.iter().rev().take_while(|&&l| l == 0).count());
        let mut all = self.lit_len[..hlit].to_vec();
        all.extend_from_slice(&self.dist_len[..hdist]);
        let runs = run_lengths(&all);
        let mut cl_freq = [0_u32; 19];
        for &(sym, _) in &runs {
            cl_freq[usize::from(sym)] += 1;
        }
        let cl_len = huffman_lengths(&cl_freq, 7);
        let cl_code = canonical(&cl_len);
        let hclen = 4.max(
            19 - CL_ORDER
                .iter()
                .rev()
                .take_while(|&&s| cl_len[s] == 0)
                .count(),
        );
        out.bits((hlit - 257) as u32, 5);
        out.bits((hdist - 1) as u32, 5);
        out.bits((hclen - 4) as u32, 4);
        for &s in &CL_ORDER[..hclen] {
            out.bits(u32::from(cl_len[s]), 3);
        }
        for &(sym, extra) in &runs {
            let s = usize::from(sym);
            out.code(cl_code[s], cl_len[s]);
            match sym {
                16 => out.bits(u32::from(extra), 2),
                17 => out.bits(u32::from(extra), 3),
                18 => out.bits(u32::from(extra), 7),
                _ => {}
            }
        }
    }
}

/// Code lengths as the code-length alphabet sends them: each symbol 0–15, or a run
/// (16: repeat the previous 3–6 times; 17: 3–10 zeros; 18: 11–138 zeros), with the
/// run's extra-bits value.
fn run_lengths(lengths: &[u8]) -> Vec<(u8, u8)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lengths.len() {
        let l = lengths[i];
        let run = lengths[i..].iter().take_while(|&&x| x == l).count();
        if l == 0 && run >= 3 {
            let take = run.min(138);
            if take >= 11 {
                out.push((18, (take - 11) as u8));
            } else {
                out.push((17, (take - 3) as u8));
            }
            i += take;
        } else if l != 0 && run >= 4 {
            out.push((l, 0));
            let take = (run - 1).min(6);
            out.push((16, (take - 3) as u8));
            i += 1 + take;
        } else {
            out.push((l, 0));
            i += 1;
        }
    }
    out
}

/// Huffman code lengths for `freq`, none longer than `limit` (zero for an unused
/// symbol; a lone used symbol gets length 1).
fn huffman_lengths(freq: &[u32], limit: u8) -> Vec<u8> {
    let mut freq = freq.to_vec();
    loop {
        let lengths = unlimited_lengths(&freq);
        if lengths.iter().all(|&l| l <= limit) {
            return lengths;
        }
        // Flatten the distribution and try again: rare symbols get shorter codes.
        for f in freq.iter_mut().filter(|f| **f > 0) {
            *f = (*f >> 1) | 1;
        }
    }
}

/// Huffman code lengths for `freq`, by repeatedly joining the two rarest trees.
fn unlimited_lengths(freq: &[u32]) -> Vec<u8> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut lengths = vec![0_u8; freq.len()];
    let used: Vec<usize> = (0..freq.len()).filter(|&s| freq[s] > 0).collect();
    match used.len() {
        0 => return lengths,
        1 => {
            lengths[used[0]] = 1;
            return lengths;
        }
        _ => {}
    }
    // Nodes: leaves first, then joins; parent links give each leaf's depth.
    let mut parent = vec![usize::MAX; 2 * used.len() - 1];
    let mut heap: BinaryHeap<Reverse<(u64, usize)>> = used
        .iter()
        .enumerate()
        .map(|(node, &s)| Reverse((u64::from(freq[s]), node)))
        .collect();
    let mut next = used.len();
    while heap.len() > 1 {
        let Reverse((fa, a)) = heap.pop().expect("two nodes");
        let Reverse((fb, b)) = heap.pop().expect("two nodes");
        parent[a] = next;
        parent[b] = next;
        heap.push(Reverse((fa + fb, next)));
        next += 1;
    }
    for (leaf, &s) in used.iter().enumerate() {
        let mut depth = 0;
        let mut node = leaf;
        while parent[node] != usize::MAX {
            node = parent[node];
            depth += 1;
        }
        lengths[s] = depth.min(255) as u8;
    }
    lengths
}

/// Canonical Huffman codes for `lengths` (RFC 1951, 3.2.2), bit-reversed for writing
/// least significant bit first.
fn canonical(lengths: &[u8]) -> Vec<u16> {
    let mut count = [0_u16; 16];
    for &l in lengths {
        count[usize::from(l)] += 1;
    }
    count[0] = 0;
    let mut next = [0_u16; 16];
    let mut code = 0_u16;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    lengths
        .iter()
        .map(|&l| {
            if l == 0 {
                return 0;
            }
            let c = next[usize::from(l)];
            next[usize::from(l)] += 1;
            c.reverse_bits() >> (16 - l)
        })
        .collect()
}

/// Bits written least significant first, as DEFLATE packs them.
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    fn with_capacity(capacity: usize) -> BitWriter {
        BitWriter {
            out: Vec::with_capacity(capacity),
            acc: 0,
            n: 0,
        }
    }

    /// Whole bytes, when no bits are pending.
    fn bytes(&mut self, bytes: &[u8]) {
        debug_assert_eq!(self.n, 0);
        self.out.extend_from_slice(bytes);
    }

    fn bits(&mut self, value: u32, count: u8) {
        self.acc |= u64::from(value) << self.n;
        self.n += u32::from(count);
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    fn code(&mut self, code: u16, len: u8) {
        self.bits(u32::from(code), len);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// The Adler-32 checksum zlib ends with.
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1_u32, 0_u32);
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    b << 16 | a
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `rows` (each with its filter byte) of a grey image `width` wide, through
    /// [`zlib`] and a PNG decoder.
    fn round_trip(rows: &[u8], width: u32) -> Vec<u8> {
        let height = (rows.len() / (width as usize + 1)) as u32;
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("header");
        writer
            .write_chunk(png::chunk::IDAT, &zlib(rows, width as usize + 1))
            .expect("IDAT");
        writer.finish().expect("IEND");
        let mut reader = png::Decoder::new(std::io::Cursor::new(out))
            .read_info()
            .expect("a valid PNG");
        let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
        let frame = reader.next_frame(&mut pixels).expect("decodes");
        pixels.truncate(frame.buffer_size());
        pixels
    }

    /// Unfiltered rows of `width` pixels from `pixel(x, y)`.
    fn rows(width: usize, height: usize, pixel: impl Fn(usize, usize) -> u8) -> (Vec<u8>, Vec<u8>) {
        let pixels: Vec<u8> = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| pixel(x, y))
            .collect();
        let rows = pixels
            .chunks(width)
            .flat_map(|row| std::iter::once(0).chain(row.iter().copied()))
            .collect();
        (rows, pixels)
    }

    #[test]
    fn every_kind_of_data_decodes_to_itself() {
        let mut seed = 0x2545_f491_u32;
        let mut noise = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let noise: Vec<u8> = (0..40_000).map(|_| noise() as u8).collect();
        type Pixel = Box<dyn Fn(usize, usize) -> u8>;
        let cases: Vec<(&str, usize, usize, Pixel)> = vec![
            ("one pixel", 1, 1, Box::new(|_, _| 7)),
            ("flat", 300, 200, Box::new(|_, _| 0)),
            ("noise", 200, 200, Box::new(move |x, y| noise[y * 200 + x])),
            (
                "slanted edges",
                720,
                60,
                Box::new(|x, y| ((x * 19 + y) / 40 % 5) as u8),
            ),
            (
                "few symbols",
                257,
                130,
                Box::new(|x, y| ((x ^ y) % 3) as u8),
            ),
            // Longer than the window, so that matches reach its far end.
            (
                "long rows",
                4000,
                20,
                Box::new(|x, y| ((x / 7 + y) % 250) as u8),
            ),
        ];
        for (what, width, height, pixel) in cases {
            let (rows, pixels) = rows(width, height, pixel);
            assert!(round_trip(&rows, width as u32) == pixels, "{what}");
        }
    }

    #[test]
    fn code_lengths_stay_within_their_limit() {
        // Fibonacci frequencies make the deepest possible Huffman tree.
        let mut freq = vec![1_u32, 1];
        while freq.len() < 30 {
            let n = freq.len();
            freq.push(freq[n - 1] + freq[n - 2]);
        }
        let lengths = huffman_lengths(&freq, 15);
        assert!(lengths.iter().all(|&l| (1..=15).contains(&l)));
        let kraft: f64 = lengths.iter().map(|&l| 0.5_f64.powi(i32::from(l))).sum();
        assert!(kraft <= 1.0, "{kraft}");
    }
}
