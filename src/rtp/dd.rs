//! The AV1 dependency descriptor header extension (AV1 RTP specification, Appendix A,
//! <https://aomediacodec.github.io/av1-rtp-spec/>): §A.8.2 syntax, §A.8.3 semantics.
//!
//! A descriptor refers to a template dependency structure sent in an earlier packet (the first
//! packet of a coded video sequence), so parsing takes the current [`DependencyStructure`] or
//! goes through a [`DdReader`] that keeps the last one. Writing produces the bit-exact form,
//! including the non-symmetric `ns(n)` codes of §A.8.2.
//!
//! Every loop is bounded by the input's bits or by the maxima below; nothing grows beyond them.

/// Frame dependency template ids are 6 bits (§A.8.2 `frame_dependency_template_id`).
pub const MAX_TEMPLATES: usize = 64;
/// §A.8.2 `dt_cnt_minus_one` is 5 bits.
pub const MAX_DECODE_TARGETS: usize = 32;
/// `chain_cnt` is `ns(DtCnt + 1)`: at most one chain per decode target.
pub const MAX_CHAINS: usize = 32;
/// AV1 (§6.7.5 operating points / the spec's layer model): spatial ids 0..=3.
pub const MAX_SPATIAL_LAYERS: usize = 4;
/// AV1: temporal ids 0..=7.
pub const MAX_TEMPORAL_LAYERS: usize = 8;

/// The longest descriptor an RFC 8285 element (two-byte form, §4.3) can carry.
pub const MAX_DD_LEN: usize = 255;

/// Why a dependency descriptor did not parse or encode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DdError {
    /// Fewer bits than the syntax requires (or fewer than the 3 mandatory bytes).
    #[error("dependency descriptor truncated")]
    Truncated,
    /// No template dependency structure: none attached and none given.
    #[error("dependency descriptor without a template dependency structure")]
    NoStructure,
    /// §A.8.2 `frame_dependency_definition`: the template id is outside the structure's range.
    #[error("dependency descriptor template id {0} is not in the structure")]
    UnknownTemplate(u8),
    /// More than 64 templates, spatial id above 3 or temporal id above 7.
    #[error("dependency structure exceeds the AV1 limits")]
    TooLarge,
    /// A structure or descriptor value that has no wire form (lengths that do not match the
    /// structure, out-of-range fields, a layer order §A.8.2 `template_layers` cannot express).
    #[error("invalid dependency descriptor value: {0}")]
    Invalid(&'static str),
    /// The encoding (or the input) is longer than the 255 bytes an extension element can carry.
    #[error("dependency descriptor longer than 255 bytes")]
    TooLong,
}

/// Table A.1: a frame's relation to a decode target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum Dti {
    /// `-`: no payload for this decode target.
    #[default]
    NotPresent = 0,
    /// `D`: present and discardable.
    Discardable = 1,
    /// `S`: present, and a switch is possible here.
    Switch = 2,
    /// `R`: present, neither discardable nor a switch point.
    Required = 3,
}

impl Dti {
    fn from_bits(b: u32) -> Dti {
        match b & 3 {
            0 => Dti::NotPresent,
            1 => Dti::Discardable,
            2 => Dti::Switch,
            _ => Dti::Required,
        }
    }
}

/// A frame dependency template (§A.8.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FrameTemplate {
    /// Spatial id, 0..=3.
    pub spatial_id: u8,
    /// Temporal id, 0..=7.
    pub temporal_id: u8,
    /// One indication per decode target.
    pub dtis: Vec<Dti>,
    /// Frame number differences of the referred frames, each 1..=16.
    pub fdiffs: Vec<u8>,
    /// One difference per chain, each 0..=15.
    pub chain_fdiffs: Vec<u8>,
}

/// A maximum render resolution of one spatial layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RenderResolution {
    /// Width, 1..=65536.
    pub width: u32,
    /// Height, 1..=65536.
    pub height: u32,
}

/// The template dependency structure (§A.8.2 `template_dependency_structure`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyStructure {
    /// The template id of template index 0, 0..=63.
    pub template_id_offset: u8,
    /// `DtCnt`, 1..=32.
    pub decode_target_count: u8,
    /// 1..=64 templates. The first is spatial 0 temporal 0; each next one has the same layers,
    /// the next temporal id, or the next spatial id with temporal 0 (Table A.2).
    pub templates: Vec<FrameTemplate>,
    /// `chain_cnt`, 0..=`decode_target_count`.
    pub chain_count: u8,
    /// The chain protecting each decode target (empty when there are no chains).
    pub decode_target_protected_by: Vec<u8>,
    /// Render resolutions per spatial id 0..=max, or empty when not sent.
    pub resolutions: Vec<RenderResolution>,
}

impl DependencyStructure {
    /// Highest spatial id of the templates.
    pub fn max_spatial_id(&self) -> u8 {
        self.templates
            .iter()
            .map(|t| t.spatial_id)
            .max()
            .unwrap_or(0)
    }

    /// §A.8.2 `decode_target_layers`: each decode target's (spatial, temporal) id, the highest
    /// of the templates that are present in it.
    pub fn decode_target_layers(&self) -> Vec<(u8, u8)> {
        (0..usize::from(self.decode_target_count))
            .map(|dt| {
                self.templates
                    .iter()
                    .filter(|t| t.dtis.get(dt).is_some_and(|&d| d != Dti::NotPresent))
                    .fold((0, 0), |(s, t), tpl| {
                        (s.max(tpl.spatial_id), t.max(tpl.temporal_id))
                    })
            })
            .collect()
    }

    /// The template a descriptor's `frame_dependency_template_id` refers to (§A.8.2
    /// `frame_dependency_definition`).
    pub fn template(&self, template_id: u8) -> Result<&FrameTemplate, DdError> {
        let index = (usize::from(template_id) + 64 - usize::from(self.template_id_offset)) % 64;
        self.templates
            .get(index)
            .ok_or(DdError::UnknownTemplate(template_id))
    }

    /// Checks that the structure has a wire form.
    pub fn validate(&self) -> Result<(), DdError> {
        let dts = usize::from(self.decode_target_count);
        let chains = usize::from(self.chain_count);
        if self.template_id_offset >= 64 {
            return Err(DdError::Invalid("template_id_offset above 63"));
        }
        if !(1..=MAX_DECODE_TARGETS).contains(&dts) {
            return Err(DdError::Invalid("decode target count not in 1..=32"));
        }
        if self.templates.is_empty() || self.templates.len() > MAX_TEMPLATES {
            return Err(DdError::Invalid("template count not in 1..=64"));
        }
        if chains > dts {
            return Err(DdError::Invalid("more chains than decode targets"));
        }
        let mut prev: Option<(u8, u8)> = None;
        for t in &self.templates {
            let layers = (t.spatial_id, t.temporal_id);
            // Table A.2: the only layer steps next_layer_idc can express.
            let ok = match prev {
                None => layers == (0, 0),
                Some((s, tid)) => {
                    layers == (s, tid) || layers == (s, tid + 1) || layers == (s + 1, 0)
                }
            };
            if !ok {
                return Err(DdError::Invalid("template layer order"));
            }
            if usize::from(t.spatial_id) >= MAX_SPATIAL_LAYERS
                || usize::from(t.temporal_id) >= MAX_TEMPORAL_LAYERS
            {
                return Err(DdError::TooLarge);
            }
            prev = Some(layers);
            if t.dtis.len() != dts {
                return Err(DdError::Invalid("template dtis length"));
            }
            if t.fdiffs.iter().any(|&f| !(1..=16).contains(&f)) {
                return Err(DdError::Invalid("template fdiff not in 1..=16"));
            }
            if t.chain_fdiffs.len() != chains || t.chain_fdiffs.iter().any(|&c| c > 15) {
                return Err(DdError::Invalid("template chain fdiffs"));
            }
        }
        let protected_len = if chains > 0 { dts } else { 0 };
        if self.decode_target_protected_by.len() != protected_len
            || self
                .decode_target_protected_by
                .iter()
                .any(|&c| usize::from(c) >= chains)
        {
            return Err(DdError::Invalid("decode_target_protected_by"));
        }
        if !self.resolutions.is_empty() {
            if self.resolutions.len() != usize::from(self.max_spatial_id()) + 1 {
                return Err(DdError::Invalid("one resolution per spatial layer"));
            }
            let ok = |v: u32| (1..=65536).contains(&v);
            if !self.resolutions.iter().all(|r| ok(r.width) && ok(r.height)) {
                return Err(DdError::Invalid("resolution not in 1..=65536"));
            }
        }
        Ok(())
    }

    /// §A.8.2 `template_dependency_structure()`.
    fn read(r: &mut BitReader<'_>) -> Result<Self, DdError> {
        let template_id_offset = r.read(6)? as u8;
        let dts = r.read(5)? as usize + 1;
        // template_layers(): each template costs at least its 2-bit next_layer_idc.
        let mut templates: Vec<FrameTemplate> = Vec::new();
        let (mut spatial, mut temporal) = (0u8, 0u8);
        loop {
            if templates.len() == MAX_TEMPLATES {
                return Err(DdError::TooLarge);
            }
            templates.push(FrameTemplate {
                spatial_id: spatial,
                temporal_id: temporal,
                ..FrameTemplate::default()
            });
            match r.read(2)? {
                0 => {}
                1 => temporal += 1,
                2 => {
                    temporal = 0;
                    spatial += 1;
                }
                _ => break,
            }
            if usize::from(spatial) >= MAX_SPATIAL_LAYERS
                || usize::from(temporal) >= MAX_TEMPORAL_LAYERS
            {
                return Err(DdError::TooLarge);
            }
        }
        // template_dtis()
        for t in &mut templates {
            r.need(2 * dts)?;
            t.dtis = (0..dts)
                .map(|_| r.read(2).map(Dti::from_bits))
                .collect::<Result<_, _>>()?;
        }
        // template_fdiffs(): each fdiff costs 5 bits of input.
        for t in &mut templates {
            while r.read(1)? == 1 {
                t.fdiffs.push(r.read(4)? as u8 + 1);
            }
        }
        // template_chains()
        let chains = r.read_ns(dts as u32 + 1)? as usize;
        let mut protected_by = Vec::new();
        if chains > 0 {
            for _ in 0..dts {
                protected_by.push(r.read_ns(chains as u32)? as u8);
            }
            for t in &mut templates {
                r.need(4 * chains)?;
                t.chain_fdiffs = (0..chains)
                    .map(|_| r.read(4).map(|v| v as u8))
                    .collect::<Result<_, _>>()?;
            }
        }
        // decode_target_layers() reads nothing: it is derived (decode_target_layers()).
        let mut resolutions = Vec::new();
        if r.read(1)? == 1 {
            let max_spatial = templates.iter().map(|t| t.spatial_id).max().unwrap_or(0);
            for _ in 0..=max_spatial {
                resolutions.push(RenderResolution {
                    width: r.read(16)? + 1,
                    height: r.read(16)? + 1,
                });
            }
        }
        Ok(DependencyStructure {
            template_id_offset,
            decode_target_count: dts as u8,
            templates,
            chain_count: chains as u8,
            decode_target_protected_by: protected_by,
            resolutions,
        })
    }

    /// Bit-exact inverse of `read`; the structure is valid.
    fn write(&self, w: &mut BitWriter) {
        w.write(6, u32::from(self.template_id_offset));
        w.write(5, u32::from(self.decode_target_count) - 1);
        // template_layers(): Table A.2.
        for (i, t) in self.templates.iter().enumerate() {
            let idc = match self.templates.get(i + 1) {
                None => 3,
                Some(n) if (n.spatial_id, n.temporal_id) == (t.spatial_id, t.temporal_id) => 0,
                Some(n) if n.spatial_id == t.spatial_id => 1,
                Some(_) => 2,
            };
            w.write(2, idc);
        }
        for t in &self.templates {
            for &d in &t.dtis {
                w.write(2, d as u32);
            }
        }
        for t in &self.templates {
            for &f in &t.fdiffs {
                w.write(1, 1);
                w.write(4, u32::from(f) - 1);
            }
            w.write(1, 0);
        }
        let dts = u32::from(self.decode_target_count);
        w.write_ns(dts + 1, u32::from(self.chain_count));
        if self.chain_count > 0 {
            for &c in &self.decode_target_protected_by {
                w.write_ns(u32::from(self.chain_count), u32::from(c));
            }
            for t in &self.templates {
                for &c in &t.chain_fdiffs {
                    w.write(4, u32::from(c));
                }
            }
        }
        w.write(1, u32::from(!self.resolutions.is_empty()));
        for r in &self.resolutions {
            w.write(16, r.width - 1);
            w.write(16, r.height - 1);
        }
    }
}

/// The three mandatory bytes (§A.8.2 `mandatory_descriptor_fields`), readable without a
/// structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DdMandatory {
    /// First packet of a frame.
    pub start_of_frame: bool,
    /// Last packet of a frame.
    pub end_of_frame: bool,
    /// `frame_dependency_template_id`, 0..=63.
    pub template_id: u8,
    /// `frame_number`.
    pub frame_number: u16,
}

impl DdMandatory {
    /// Reads the mandatory fields of a descriptor.
    pub fn parse(data: &[u8]) -> Result<Self, DdError> {
        let &[a, b, c, ..] = data else {
            return Err(DdError::Truncated);
        };
        Ok(DdMandatory {
            start_of_frame: a & 0x80 != 0,
            end_of_frame: a & 0x40 != 0,
            template_id: a & 0x3F,
            frame_number: u16::from_be_bytes([b, c]),
        })
    }
}

/// A dependency descriptor as carried by one packet.
///
/// The optional fields are what the packet sends explicitly; [`DependencyDescriptor::resolve`]
/// combines them with the structure's template into a [`FrameDependency`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyDescriptor {
    /// First packet of a frame.
    pub start_of_frame: bool,
    /// Last packet of a frame.
    pub end_of_frame: bool,
    /// `frame_dependency_template_id`, 0..=63.
    pub template_id: u8,
    /// `frame_number`.
    pub frame_number: u16,
    /// A new template dependency structure, sent with the first packet of a coded video
    /// sequence.
    pub structure: Option<DependencyStructure>,
    /// `active_decode_targets_bitmask` when sent explicitly (bit i = decode target i).
    pub active_decode_targets: Option<u32>,
    /// `frame_dtis`, one per decode target, overriding the template's.
    pub custom_dtis: Option<Vec<Dti>>,
    /// `frame_fdiffs` (each 1..=4096), overriding the template's.
    pub custom_fdiffs: Option<Vec<u16>>,
    /// `frame_chain_fdiff`, one per chain, overriding the template's.
    pub custom_chains: Option<Vec<u8>>,
}

/// What a descriptor says about its frame, template and overrides combined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameDependency {
    /// Spatial id.
    pub spatial_id: u8,
    /// Temporal id.
    pub temporal_id: u8,
    /// One indication per decode target.
    pub dtis: Vec<Dti>,
    /// Frame number differences of the referred frames.
    pub fdiffs: Vec<u16>,
    /// One difference per chain.
    pub chain_fdiffs: Vec<u8>,
    /// The active decode targets, when this packet sets them (explicitly, or all of them with a
    /// new structure, §A.4).
    pub active_decode_targets: Option<u32>,
    /// The frame's maximum render resolution, when the structure has them.
    pub resolution: Option<RenderResolution>,
}

impl DependencyDescriptor {
    /// A descriptor with only the mandatory fields.
    pub fn new(
        start_of_frame: bool,
        end_of_frame: bool,
        template_id: u8,
        frame_number: u16,
    ) -> Self {
        DependencyDescriptor {
            start_of_frame,
            end_of_frame,
            template_id,
            frame_number,
            structure: None,
            active_decode_targets: None,
            custom_dtis: None,
            custom_fdiffs: None,
            custom_chains: None,
        }
    }

    /// Parses an element's data (`dependency_descriptor(sz)` with `sz = data.len()`).
    /// `current` is the structure from an earlier packet; an attached structure takes precedence.
    pub fn parse(data: &[u8], current: Option<&DependencyStructure>) -> Result<Self, DdError> {
        // RFC 8285 §4.3: no element carries more than 255 bytes. Refusing longer input also bounds
        // the loops the spec leaves open (template and frame fdiffs) by 2040 bits.
        if data.len() > MAX_DD_LEN {
            return Err(DdError::TooLong);
        }
        let m = DdMandatory::parse(data)?;
        let mut dd = DependencyDescriptor::new(
            m.start_of_frame,
            m.end_of_frame,
            m.template_id,
            m.frame_number,
        );
        let mut r = BitReader { data, pos: 24 };
        let (mut active_flag, mut dtis_flag, mut fdiffs_flag, mut chains_flag) =
            (false, false, false, false);
        // §A.8.2: extended fields exist exactly when sz > 3.
        if data.len() > 3 {
            let structure_flag = r.read(1)? == 1;
            active_flag = r.read(1)? == 1;
            dtis_flag = r.read(1)? == 1;
            fdiffs_flag = r.read(1)? == 1;
            chains_flag = r.read(1)? == 1;
            if structure_flag {
                dd.structure = Some(DependencyStructure::read(&mut r)?);
            }
        }
        let structure = dd
            .structure
            .as_ref()
            .or(current)
            .ok_or(DdError::NoStructure)?;
        let dts = usize::from(structure.decode_target_count);
        let chains = usize::from(structure.chain_count);
        let active = if active_flag {
            Some(r.read(dts as u32)?)
        } else {
            None
        };
        // frame_dependency_definition(): the template must exist.
        structure.template(m.template_id)?;
        let dtis = if dtis_flag {
            r.need(2 * dts)?;
            Some(
                (0..dts)
                    .map(|_| r.read(2).map(Dti::from_bits))
                    .collect::<Result<_, _>>()?,
            )
        } else {
            None
        };
        let fdiffs = if fdiffs_flag {
            // frame_fdiffs(): each costs at least 6 bits of input.
            let mut v = Vec::new();
            loop {
                let size = r.read(2)?;
                if size == 0 {
                    break;
                }
                v.push(r.read(4 * size)? as u16 + 1);
            }
            Some(v)
        } else {
            None
        };
        let chain_fdiffs = if chains_flag {
            r.need(8 * chains)?;
            Some(
                (0..chains)
                    .map(|_| r.read(8).map(|v| v as u8))
                    .collect::<Result<_, _>>()?,
            )
        } else {
            None
        };
        // zero_padding: MUST be 0 and ignored by receivers (§A.8.3).
        dd.active_decode_targets = active;
        dd.custom_dtis = dtis;
        dd.custom_fdiffs = fdiffs;
        dd.custom_chains = chain_fdiffs;
        Ok(dd)
    }

    fn has_extended(&self) -> bool {
        self.structure.is_some()
            || self.active_decode_targets.is_some()
            || self.custom_dtis.is_some()
            || self.custom_fdiffs.is_some()
            || self.custom_chains.is_some()
    }

    /// Checks the descriptor against its structure (attached, else `current`) and returns that
    /// structure.
    fn checked<'s>(
        &'s self,
        current: Option<&'s DependencyStructure>,
    ) -> Result<&'s DependencyStructure, DdError> {
        let s = self
            .structure
            .as_ref()
            .or(current)
            .ok_or(DdError::NoStructure)?;
        // A caller's structure is checked too: one that does not fit the wire (e.g. more than 32
        // decode targets) would make the fields below unencodable.
        s.validate()?;
        if self.template_id >= 64 {
            return Err(DdError::Invalid("template id above 63"));
        }
        s.template(self.template_id)?;
        let dts = usize::from(s.decode_target_count);
        if let Some(mask) = self.active_decode_targets
            && dts < 32
            && mask >> dts != 0
        {
            return Err(DdError::Invalid("active decode target beyond the count"));
        }
        if self.custom_dtis.as_ref().is_some_and(|d| d.len() != dts) {
            return Err(DdError::Invalid("custom dtis length"));
        }
        if self
            .custom_fdiffs
            .as_ref()
            .is_some_and(|f| f.iter().any(|&v| !(1..=4096).contains(&v)))
        {
            return Err(DdError::Invalid("custom fdiff not in 1..=4096"));
        }
        if self
            .custom_chains
            .as_ref()
            .is_some_and(|c| c.len() != usize::from(s.chain_count))
        {
            return Err(DdError::Invalid("custom chains length"));
        }
        Ok(s)
    }

    /// Appends the bit-exact encoding (`current` as for [`DependencyDescriptor::parse`]).
    pub fn encode(
        &self,
        current: Option<&DependencyStructure>,
        out: &mut Vec<u8>,
    ) -> Result<(), DdError> {
        let s = self.checked(current)?;
        let mut w = BitWriter::default();
        w.write(1, u32::from(self.start_of_frame));
        w.write(1, u32::from(self.end_of_frame));
        w.write(6, u32::from(self.template_id));
        w.write(16, u32::from(self.frame_number));
        // Canonical: the extended fields only when something in them is sent (a 3-byte
        // descriptor implies all their flags are 0).
        if self.has_extended() {
            w.write(1, u32::from(self.structure.is_some()));
            w.write(1, u32::from(self.active_decode_targets.is_some()));
            w.write(1, u32::from(self.custom_dtis.is_some()));
            w.write(1, u32::from(self.custom_fdiffs.is_some()));
            w.write(1, u32::from(self.custom_chains.is_some()));
            if let Some(st) = &self.structure {
                st.write(&mut w);
            }
            if let Some(mask) = self.active_decode_targets {
                w.write(u32::from(s.decode_target_count), mask);
            }
            for &d in self.custom_dtis.iter().flatten() {
                w.write(2, d as u32);
            }
            if let Some(fdiffs) = &self.custom_fdiffs {
                for &f in fdiffs {
                    // §A.8.2 frame_fdiffs(): the smallest of 4, 8 or 12 bits that holds f - 1.
                    let v = u32::from(f) - 1;
                    let size = if v < 16 {
                        1
                    } else if v < 256 {
                        2
                    } else {
                        3
                    };
                    w.write(2, size);
                    w.write(4 * size, v);
                }
                w.write(2, 0);
            }
            for &c in self.custom_chains.iter().flatten() {
                w.write(8, u32::from(c));
            }
        }
        let bytes = w.finish();
        if bytes.len() > MAX_DD_LEN {
            return Err(DdError::TooLong);
        }
        out.extend_from_slice(&bytes);
        Ok(())
    }

    /// Length of [`DependencyDescriptor::encode`]'s output.
    pub fn encoded_len(&self, current: Option<&DependencyStructure>) -> Result<usize, DdError> {
        let mut v = Vec::new();
        self.encode(current, &mut v)?;
        Ok(v.len())
    }

    /// The frame's dependency information: the template's, with this packet's overrides.
    pub fn resolve(
        &self,
        current: Option<&DependencyStructure>,
    ) -> Result<FrameDependency, DdError> {
        let s = self.checked(current)?;
        let t = s.template(self.template_id)?;
        let all = if s.decode_target_count >= 32 {
            u32::MAX
        } else {
            (1u32 << s.decode_target_count) - 1
        };
        Ok(FrameDependency {
            spatial_id: t.spatial_id,
            temporal_id: t.temporal_id,
            dtis: self.custom_dtis.clone().unwrap_or_else(|| t.dtis.clone()),
            fdiffs: self
                .custom_fdiffs
                .clone()
                .unwrap_or_else(|| t.fdiffs.iter().map(|&f| u16::from(f)).collect()),
            chain_fdiffs: self
                .custom_chains
                .clone()
                .unwrap_or_else(|| t.chain_fdiffs.clone()),
            // §A.4: a new structure without an explicit bitmask activates every decode target.
            active_decode_targets: self
                .active_decode_targets
                .or(self.structure.as_ref().map(|_| all)),
            resolution: s.resolutions.get(usize::from(t.spatial_id)).copied(),
        })
    }
}

/// Parses descriptors of one stream, keeping the last template dependency structure.
#[derive(Debug, Clone, Default)]
pub struct DdReader {
    structure: Option<DependencyStructure>,
}

impl DdReader {
    /// A reader that has seen no structure yet.
    pub fn new() -> Self {
        DdReader::default()
    }

    /// The structure in use.
    pub fn structure(&self) -> Option<&DependencyStructure> {
        self.structure.as_ref()
    }

    /// Parses a descriptor; an attached structure replaces the kept one.
    // Packets can arrive out of order; the caller who cares orders them (§A.4: updates are valid
    // in sequence number order) before handing them over.
    pub fn read(&mut self, data: &[u8]) -> Result<DependencyDescriptor, DdError> {
        let dd = DependencyDescriptor::parse(data, self.structure.as_ref())?;
        if let Some(s) = &dd.structure {
            self.structure = Some(s.clone());
        }
        Ok(dd)
    }
}

/// §A.8.2 `f(n)` and `ns(n)` over a byte slice, high bit first.
struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    fn need(&self, bits: usize) -> Result<(), DdError> {
        if self.pos + bits > self.data.len() * 8 {
            Err(DdError::Truncated)
        } else {
            Ok(())
        }
    }

    /// `f(n)`, n ≤ 32.
    fn read(&mut self, n: u32) -> Result<u32, DdError> {
        self.need(n as usize)?;
        let mut x: u64 = 0;
        for _ in 0..n {
            let bit = (self.data[self.pos / 8] >> (7 - self.pos % 8)) & 1;
            x = (x << 1) | u64::from(bit);
            self.pos += 1;
        }
        Ok(x as u32)
    }

    /// `ns(n)`: a value in 0..n with one bit fewer for the first `2^w - n` values.
    fn read_ns(&mut self, n: u32) -> Result<u32, DdError> {
        let w = 32 - n.leading_zeros();
        let m = (1u32 << w) - n;
        let v = self.read(w - 1)?;
        if v < m {
            return Ok(v);
        }
        let extra = self.read(1)?;
        Ok((v << 1) - m + extra)
    }
}

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    bits: usize,
}

impl BitWriter {
    fn write(&mut self, n: u32, v: u32) {
        for i in (0..n).rev() {
            if self.bits.is_multiple_of(8) {
                self.bytes.push(0);
            }
            let bit = ((v >> i) & 1) as u8;
            let last = self.bytes.len() - 1;
            self.bytes[last] |= bit << (7 - self.bits % 8);
            self.bits += 1;
        }
    }

    /// §A.8.2 `write_ns(n, v)`.
    fn write_ns(&mut self, n: u32, v: u32) {
        if n == 1 {
            return;
        }
        let w = 32 - n.leading_zeros();
        let m = (1u32 << w) - n;
        if v < m {
            self.write(w - 1, v);
        } else {
            self.write(w, v + m);
        }
    }

    /// The bytes, zero-padded to a whole byte (§A.8.2 `zero_padding`).
    fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use Dti::{Discardable as D, NotPresent as N, Required as R, Switch as S};

    fn tpl(s: u8, t: u8, fdiffs: &[u8], chains: &[u8], dtis: &[Dti]) -> FrameTemplate {
        FrameTemplate {
            spatial_id: s,
            temporal_id: t,
            dtis: dtis.to_vec(),
            fdiffs: fdiffs.to_vec(),
            chain_fdiffs: chains.to_vec(),
        }
    }

    /// §A.10.2.1: L1T3, one chain, three decode targets (30, 15, 7.5 fps).
    pub(crate) fn l1t3() -> DependencyStructure {
        DependencyStructure {
            template_id_offset: 0,
            decode_target_count: 3,
            templates: vec![
                tpl(0, 0, &[], &[0], &[S, S, S]),
                tpl(0, 0, &[4], &[4], &[S, S, S]),
                tpl(0, 1, &[2], &[2], &[S, D, N]),
                tpl(0, 2, &[1], &[1], &[D, N, N]),
                tpl(0, 2, &[1], &[3], &[D, N, N]),
            ],
            chain_count: 1,
            decode_target_protected_by: vec![0, 0, 0],
            resolutions: vec![],
        }
    }

    /// §A.10.2.2: L3T3 full SVC, three chains, nine decode targets.
    pub(crate) fn l3t3() -> DependencyStructure {
        DependencyStructure {
            template_id_offset: 1,
            decode_target_count: 9,
            templates: vec![
                tpl(0, 0, &[], &[0, 0, 0], &[S, S, S, S, S, S, S, S, S]),
                tpl(0, 0, &[12], &[12, 11, 10], &[R, R, R, R, R, R, S, S, S]),
                tpl(0, 1, &[6], &[6, 5, 4], &[R, R, N, R, R, N, S, D, N]),
                tpl(0, 2, &[3], &[3, 2, 1], &[R, N, N, R, N, N, D, N, N]),
                tpl(0, 2, &[3], &[9, 8, 7], &[R, N, N, R, N, N, D, N, N]),
                tpl(1, 0, &[1], &[1, 1, 1], &[S, S, S, S, S, S, N, N, N]),
                tpl(1, 0, &[12, 1], &[1, 1, 1], &[R, R, R, S, S, S, N, N, N]),
                tpl(1, 1, &[6, 1], &[7, 6, 5], &[R, R, N, S, D, N, N, N, N]),
                tpl(1, 2, &[3, 1], &[4, 3, 2], &[R, N, N, D, N, N, N, N, N]),
                tpl(1, 2, &[3, 1], &[10, 9, 8], &[R, N, N, D, N, N, N, N, N]),
                tpl(2, 0, &[1], &[2, 1, 1], &[S, S, S, N, N, N, N, N, N]),
                tpl(2, 0, &[12, 1], &[2, 1, 1], &[S, S, S, N, N, N, N, N, N]),
                tpl(2, 1, &[6, 1], &[8, 7, 6], &[S, D, N, N, N, N, N, N, N]),
                tpl(2, 2, &[3, 1], &[5, 4, 3], &[D, N, N, N, N, N, N, N, N]),
                tpl(2, 2, &[3, 1], &[11, 10, 9], &[D, N, N, N, N, N, N, N, N]),
            ],
            chain_count: 3,
            decode_target_protected_by: vec![2, 2, 2, 1, 1, 1, 0, 0, 0],
            resolutions: vec![
                RenderResolution {
                    width: 320,
                    height: 180,
                },
                RenderResolution {
                    width: 640,
                    height: 360,
                },
                RenderResolution {
                    width: 1280,
                    height: 720,
                },
            ],
        }
    }

    fn bits(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| *c == '0' || *c == '1').collect();
        s.as_bytes()
            .chunks(8)
            .map(|c| {
                let mut b = 0u8;
                for (i, &ch) in c.iter().enumerate() {
                    b |= (ch - b'0') << (7 - i);
                }
                b
            })
            .collect()
    }

    #[test]
    fn ns_codes_match_the_spec_table() {
        // §A.8.2: n = 5 encodes 0, 1, 2 in two bits and 3, 4 as 110, 111.
        let expect = ["00", "01", "10", "110", "111"];
        for (v, e) in expect.iter().enumerate() {
            let mut w = BitWriter::default();
            w.write_ns(5, v as u32);
            assert_eq!(w.bits, e.len(), "length of ns(5) for {v}");
            let got = w.finish();
            assert_eq!(got, bits(e), "ns(5) code for {v}");
            let mut r = BitReader { data: &got, pos: 0 };
            assert_eq!(r.read_ns(5).unwrap(), v as u32);
        }
        // n = 1 writes nothing and reads 0.
        let mut w = BitWriter::default();
        w.write_ns(1, 0);
        assert_eq!(w.bits, 0);
        let mut r = BitReader { data: &[], pos: 0 };
        assert_eq!(r.read_ns(1).unwrap(), 0);
    }

    /// The L1T3 structure attached to a key frame, checked bit by bit against §A.8.2:
    ///
    /// ```text
    /// mandatory   1 1 000000 0000000000000001      start, end, template 0, frame 1
    /// extended    1 0 0 0 0                        structure present, nothing else
    /// structure   000000 00010                     offset 0, DtCnt-1 = 2
    /// layers      00 01 01 00 11                   (0,0) same (0,0) +T (0,1) +T (0,2) same end
    /// dtis        101010 101010 100100 010000 010000   S S S | S S S | S D - | D - - | D - -
    /// fdiffs      0 | 1 0011 0 | 1 0001 0 | 1 0000 0 | 1 0000 0   [] [4] [2] [1] [1]
    /// chain_cnt   ns(4) of 1: w=3, m=4, 1<4 → 2 bits 01
    /// protected   ns(1) × 3: no bits
    /// chain fdiff 0000 0100 0010 0001 0011         0 4 2 1 3
    /// resolutions 0
    /// padding     to 8 bits
    /// ```
    #[test]
    fn l1t3_known_answer() {
        let s = l1t3();
        s.validate().unwrap();
        let mut dd = DependencyDescriptor::new(true, true, 0, 1);
        dd.structure = Some(s.clone());
        let mut out = Vec::new();
        dd.encode(None, &mut out).unwrap();
        let expect = bits(
            "11000000 0000000000000001 10000 000000 00010 0001010011
             101010 101010 100100 010000 010000
             0 100110 100010 100000 100000 01 0000 0100 0010 0001 0011 0",
        );
        assert_eq!(out, expect);
        assert_eq!(DependencyDescriptor::parse(&out, None).unwrap(), dd);
        // A later packet: template index 3 (temporal 2), frame 3: three bytes.
        let later = DependencyDescriptor::new(true, false, 3, 3);
        let mut b = Vec::new();
        later.encode(Some(&s), &mut b).unwrap();
        assert_eq!(b, [0x83, 0x00, 0x03]);
        let f = later.resolve(Some(&s)).unwrap();
        assert_eq!((f.spatial_id, f.temporal_id), (0, 2));
        assert_eq!(f.fdiffs, [1]);
        assert_eq!(f.chain_fdiffs, [1]);
        assert_eq!(f.dtis, [D, N, N]);
        assert_eq!(s.decode_target_layers(), [(0, 2), (0, 1), (0, 0)]);
    }

    #[test]
    fn l3t3_chain_codes_and_round_trip() {
        let s = l3t3();
        s.validate().unwrap();
        // chain_cnt = ns(10) of 3: w=4, m=6 → 3 bits 011. protected_by ns(3): w=2, m=1;
        // 2 → 2 bits of 3 = 11, 1 → 10, 0 → 1 bit 0.
        let mut w = BitWriter::default();
        w.write_ns(10, 3);
        for c in [2, 2, 2, 1, 1, 1, 0, 0, 0] {
            w.write_ns(3, c);
        }
        assert_eq!(w.finish(), bits("011 11 11 11 10 10 10 0 0 0"));
        let mut dd = DependencyDescriptor::new(true, true, 1, 100);
        dd.structure = Some(s.clone());
        let mut out = Vec::new();
        dd.encode(None, &mut out).unwrap();
        let back = DependencyDescriptor::parse(&out, None).unwrap();
        assert_eq!(back, dd);
        let f = back.resolve(None).unwrap();
        assert_eq!(f.active_decode_targets, Some(0x1FF));
        assert_eq!(
            f.resolution,
            Some(RenderResolution {
                width: 320,
                height: 180
            })
        );
        assert_eq!(
            s.decode_target_layers(),
            [
                (2, 2),
                (2, 1),
                (2, 0),
                (1, 2),
                (1, 1),
                (1, 0),
                (0, 2),
                (0, 1),
                (0, 0)
            ]
        );
        // Template id 0 is outside offset 1 .. 1 + 15.
        let stale = DependencyDescriptor::new(true, true, 0, 101);
        assert_eq!(
            stale.encode(Some(&s), &mut Vec::new()),
            Err(DdError::UnknownTemplate(0))
        );
        assert_eq!(
            DependencyDescriptor::parse(&[0xC0, 0, 101], Some(&s)),
            Err(DdError::UnknownTemplate(0))
        );
        // Id 16 = index 15 is one past the end as well.
        assert_eq!(
            DependencyDescriptor::parse(&[0xC0 | 16, 0, 101], Some(&s)),
            Err(DdError::UnknownTemplate(16))
        );
    }

    /// §A.10.1.3: custom chain and frame diffs on top of templates.
    #[test]
    fn custom_fields_round_trip() {
        let s = l1t3();
        let mut dd = DependencyDescriptor::new(false, true, 2, 108);
        dd.active_decode_targets = Some(0b011);
        dd.custom_dtis = Some(vec![R, S, N]);
        dd.custom_fdiffs = Some(vec![5, 16, 17, 256, 257, 4096]);
        dd.custom_chains = Some(vec![5]);
        let mut out = Vec::new();
        dd.encode(Some(&s), &mut out).unwrap();
        assert_eq!(DependencyDescriptor::parse(&out, Some(&s)).unwrap(), dd);
        let f = dd.resolve(Some(&s)).unwrap();
        assert_eq!(f.fdiffs, [5, 16, 17, 256, 257, 4096]);
        dd.custom_fdiffs = Some(vec![4097]);
        assert!(dd.encode(Some(&s), &mut Vec::new()).is_err());
        dd.custom_fdiffs = None;
        dd.active_decode_targets = Some(0b1000);
        assert!(dd.encode(Some(&s), &mut Vec::new()).is_err());
    }

    #[test]
    fn needs_a_structure_and_keeps_the_last() {
        assert_eq!(
            DependencyDescriptor::parse(&[0x80, 0, 1], None),
            Err(DdError::NoStructure)
        );
        assert_eq!(
            DependencyDescriptor::parse(&[0x80, 0], None),
            Err(DdError::Truncated)
        );
        assert_eq!(
            DdMandatory::parse(&[0x85, 0x12, 0x34]).unwrap(),
            DdMandatory {
                start_of_frame: true,
                end_of_frame: false,
                template_id: 5,
                frame_number: 0x1234
            }
        );
        let mut reader = DdReader::new();
        let mut first = DependencyDescriptor::new(true, true, 0, 1);
        first.structure = Some(l1t3());
        let mut b = Vec::new();
        first.encode(None, &mut b).unwrap();
        assert_eq!(reader.read(&b).unwrap(), first);
        assert_eq!(reader.structure(), Some(&l1t3()));
        assert_eq!(reader.read(&[0x44, 0, 2]).unwrap().template_id, 4);
    }

    #[test]
    fn invalid_structures_are_refused() {
        let mut s = l1t3();
        s.templates[1].temporal_id = 2; // (0,0) → (0,2) skips a temporal layer
        assert!(s.validate().is_err());
        let mut s = l1t3();
        s.templates[0].dtis.pop();
        assert!(s.validate().is_err());
        let mut s = l1t3();
        s.decode_target_protected_by[0] = 1;
        assert!(s.validate().is_err());
        let mut s = l1t3();
        s.templates[1].fdiffs = vec![17];
        assert!(s.validate().is_err());
        let mut s = l1t3();
        s.resolutions = vec![RenderResolution {
            width: 0,
            height: 1,
        }];
        assert!(s.validate().is_err());
    }

    #[test]
    fn parse_bounds_templates_and_layers() {
        // Structure present, DtCnt 1, then 64 "same layer" idcs and no end: 65th template.
        let mut w = BitWriter::default();
        w.write(24, 0);
        w.write(5, 0b10000);
        w.write(6, 0);
        w.write(5, 0);
        for _ in 0..64 {
            w.write(2, 0);
        }
        w.write(2, 3);
        assert_eq!(
            DependencyDescriptor::parse(&w.finish(), None),
            Err(DdError::TooLarge)
        );
        // Four spatial steps: spatial id 4.
        let mut w = BitWriter::default();
        w.write(24, 0);
        w.write(5, 0b10000);
        w.write(11, 0);
        for _ in 0..4 {
            w.write(2, 2);
        }
        w.write(2, 3);
        assert_eq!(
            DependencyDescriptor::parse(&w.finish(), None),
            Err(DdError::TooLarge)
        );
    }
}
