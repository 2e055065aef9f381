//! OpenAPI schemas of the types the lower layers define: the document describes them
//! here, so that only the HTTP adapter knows about OpenAPI. String enums list their wire
//! names; records and answers are described by a mirror of their fields.

use std::borrow::Cow;

use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
// Derived schemas name a field's schema through `ComposeSchema` (utoipa implements
// `PartialSchema` from it), so the types of the lower layers implement that.
use utoipa::__dev::ComposeSchema;
use utoipa::{PartialSchema, ToSchema};

use crate::model::{Evidence, LinkKind, LinkStatus, NodeKind};
use crate::service::analysis::Measure;
use crate::service::export::{ExportFormat, ImportFormat};
use crate::service::import::ReportFormat;
use crate::service::partners::Signal;
use crate::service::upkeep::{Operation, RecordType, Scope};

/// A string schema listing the wire names a value may take.
fn names<T: Serialize>(description: &str, all: impl IntoIterator<Item = T>) -> RefOr<Schema> {
    let names: Vec<serde_json::Value> = all
        .into_iter()
        .map(|v| serde_json::to_value(v).unwrap_or_default())
        .collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(names))
        .into()
}

/// Implements the schema of a string enum of a lower layer.
macro_rules! string_enum {
    ($($ty:ty => $description:literal, $all:expr;)*) => {$(
        impl ComposeSchema for $ty {
            fn compose(_: Vec<RefOr<Schema>>) -> RefOr<Schema> {
                names($description, $all)
            }
        }

        impl ToSchema for $ty {}
    )*};
}

string_enum! {
    ExportFormat => "Export formats.", ExportFormat::ALL;
    ImportFormat => "The formats an import reads.", ImportFormat::ALL;
    ReportFormat => "How a change report is written.", [ReportFormat::Jsonl, ReportFormat::Csv];
    Scope => "What a token allows. Each scope includes the ones before it.",
        [Scope::Read, Scope::Write, Scope::Admin];
    NodeKind => "What a node is.", NodeKind::ALL;
    LinkKind => "What a link is. Each kind carries its own rules: [`LinkKind::arity`],\n[`LinkKind::is_directed`] and [`LinkKind::member_kinds`].", LinkKind::ALL;
    LinkStatus => "The state of an agreement.", LinkStatus::ALL;
    Evidence => "How directly a link's source supports it.", Evidence::ALL;
    Measure => "A centrality measure.", Measure::ALL;
    Signal => "A signal a suggestion can be ranked by.", Signal::ALL;
    RecordType => "Which kind of record a change touched.", [RecordType::Node, RecordType::Link];
    Operation => "What happened to a record.",
        [Operation::Create, Operation::Update, Operation::Delete];
}

/// Gives a lower layer's type the schema of its mirror, under the same name.
macro_rules! mirrored {
    ($($ty:ty => $mirror:ident;)*) => {$(
        impl ComposeSchema for $ty {
            fn compose(_: Vec<RefOr<Schema>>) -> RefOr<Schema> {
                <mirror::$mirror as PartialSchema>::schema()
            }
        }

        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                <mirror::$mirror as ToSchema>::name()
            }

            fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
                <mirror::$mirror as ToSchema>::schemas(schemas)
            }
        }
    )*};
}

mirrored! {
    crate::model::Location => Location;
    crate::model::Node => Node;
    crate::model::Source => Source;
    crate::model::Link => Link;
    crate::service::analysis::Filters => Filters;
    crate::service::analysis::NodeRef => NodeRef;
    crate::service::partners::Component => Component;
    crate::service::WriteSummary => WriteSummary;
    crate::service::upkeep::RecordDiff => RecordDiff;
    crate::service::upkeep::ChangeCounts => ChangeCounts;
    crate::service::upkeep::ChangeEntry => ChangeEntry;
    crate::service::manifest::ExportManifest => ExportManifest;
    crate::service::manifest::CitedSource => CitedSource;
    crate::service::layout::NetworkLayout => NetworkLayout;
    crate::service::layout::PlacedNode => PlacedNode;
}

/// The JSON of records and answers the lower layers define, described for OpenAPI:
/// each mirrors its type field for field (same names, serde attributes and docs), and
/// [`tests::mirrors_name_every_field`] checks they still agree.
#[allow(dead_code)] // The types describe JSON; they are never built.
mod mirror {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use utoipa::ToSchema;

    use crate::model::{
        CountryCode, Evidence, LinkId, LinkKind, LinkStatus, NodeId, NodeKind, PartialDate,
    };
    use crate::service::export::ExportFormat;
    use crate::service::partners::Signal;
    use crate::service::upkeep::{Operation, RecordType};

    /// A point on the globe, WGS 84 degrees.
    #[derive(Serialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Location {
        /// Latitude, −90 to 90.
        #[schema(example = 50.2907)]
        pub lat: f64,
        /// Longitude, −180 to 180.
        #[schema(example = 127.5272)]
        pub lon: f64,
    }

    /// A city, association or state, as stored and as returned by the API.
    #[derive(Serialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Node {
        /// Stable id, e.g. `city:ru:blagoveshchensk`.
        #[schema(value_type = String, example = "city:ru:blagoveshchensk")]
        pub id: NodeId,
        /// City, association or state.
        pub kind: NodeKind,
        /// Primary name, any script.
        #[schema(example = "Blagoveshchensk")]
        pub name: String,
        /// Names by language tag.
        #[serde(default)]
        #[schema(example = json!({"ru": "Благовещенск", "en": "Blagoveshchensk", "zh": "布拉戈维申斯克"}))]
        pub names: BTreeMap<String, String>,
        /// ISO 3166-1 alpha-2 country code; associations may have none.
        #[serde(default)]
        #[schema(value_type = Option<String>, example = "RU")]
        pub country: Option<CountryCode>,
        /// Region, province or prefecture.
        #[serde(default)]
        #[schema(example = "Amur Oblast")]
        pub region: Option<String>,
        /// Coordinates.
        #[serde(default)]
        pub location: Option<Location>,
        /// Population, where known: 0 to 9223372036854775807 (int64).
        #[serde(default)]
        pub population: Option<u64>,
        /// Ids in other databases, e.g. `{"wikidata": "Q959"}`.
        #[serde(default)]
        pub external_ids: BTreeMap<String, String>,
        /// Free-form tags: one line each, at most 100 characters, without `;` (tables
        /// separate tags with it) and without spaces at either end.
        #[serde(default)]
        pub tags: Vec<String>,
        /// Free-form attributes for what the schema does not know yet: any JSON object,
        /// nested at most 32 arrays and objects deep.
        #[serde(default)]
        #[schema(value_type = Object)]
        pub attrs: serde_json::Map<String, serde_json::Value>,
    }

    /// Where a link comes from.
    #[derive(Serialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Source {
        /// The document: the key of a cited document (`GET /api/v1/sources`), or a title.
        #[serde(default)]
        #[schema(example = "blagoveshchensk-international-relations-2011")]
        pub document: Option<String>,
        /// Where the document can be read.
        #[serde(default)]
        pub url: Option<String>,
        /// The sentence the link rests on, verbatim.
        #[serde(default)]
        #[schema(
            example = "…с приграничными городами-побратимами -Хэйхэ, Удалянчи (договор от 17 июля 2003 г.)…"
        )]
        pub quote: Option<String>,
    }

    /// A link between two or three nodes, as stored and as returned by the API.
    #[derive(Serialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Link {
        /// Stable id; derived from kind and members when the writer gives none.
        #[schema(value_type = String, example = "twinning:city:ru:blagoveshchensk+city:cn:wudalianchi")]
        pub id: LinkId,
        /// The kind of relation.
        pub kind: LinkKind,
        /// Member node ids: two, or three for `trilateral`; `[from, to]` for directed kinds.
        #[schema(value_type = Vec<String>, example = json!(["city:ru:blagoveshchensk", "city:cn:wudalianchi"]))]
        pub members: Vec<NodeId>,
        /// State of the agreement.
        #[serde(default)]
        pub status: LinkStatus,
        /// Whether the source states the link or it is read from the source (default
        /// `stated`).
        #[serde(default)]
        pub evidence: Evidence,
        /// When it was signed: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
        #[serde(default)]
        #[schema(value_type = Option<String>, example = "2003-07-17")]
        pub signed: Option<PartialDate>,
        /// When it ended, same format; not before `signed`.
        #[serde(default)]
        #[schema(value_type = Option<String>)]
        pub ended: Option<PartialDate>,
        /// Areas of cooperation (`culture`, `education`, `sport`, `economy`, `tourism`, …).
        #[serde(default)]
        pub areas: Vec<String>,
        /// Provenance.
        #[serde(default)]
        pub source: Option<Source>,
        /// Free-text notes.
        #[serde(default)]
        pub notes: Option<String>,
        /// Free-form attributes: any JSON object, nested at most 32 arrays and objects deep.
        #[serde(default)]
        #[schema(value_type = Object)]
        pub attrs: serde_json::Map<String, serde_json::Value>,
    }

    /// What an export wrote: enough to check the file and to cite it.
    #[derive(Serialize, ToSchema)]
    pub struct ExportManifest {
        /// Layout version of this manifest (1).
        pub manifest_version: u32,
        /// The file's name.
        #[schema(example = "network.graphml")]
        pub file: String,
        /// The export format (`graphml`).
        pub format: ExportFormat,
        /// Its media type.
        pub media_type: String,
        /// Size of the file in bytes.
        pub bytes: u64,
        /// SHA-256 of the file, as 64 lowercase hexadecimal digits.
        #[schema(pattern = "^[0-9a-f]{64}$")]
        pub sha256: String,
        /// The graph version the records were read at.
        pub graph_version: u64,
        /// The filters the records were selected by; `None` for pobratim's own format,
        /// which holds every record.
        pub filters: Option<Filters>,
        /// The pobratim release that wrote the file.
        pub pobratim_version: String,
        /// Nodes in the file.
        pub nodes: u64,
        /// Links in the file.
        pub links: u64,
        /// Links without a `source.document`.
        pub links_without_source: u64,
        /// The documents the file's links cite, in key order.
        pub sources: Vec<CitedSource>,
    }

    /// A document the exported links cite, with what a reuse must credit.
    #[derive(Serialize, ToSchema)]
    pub struct CitedSource {
        /// The `source.document` the links name.
        pub document: String,
        /// Links of the file citing it.
        pub links: u64,
        /// Its title, where pobratim describes the document.
        pub title: Option<String>,
        /// Who issued it, or whom a reuse must credit.
        pub credit: Option<String>,
        /// The licence of its content, where one is known.
        pub licence: Option<String>,
        /// Where it can be read.
        pub url: Option<String>,
    }

    /// The laid-out network.
    #[derive(Serialize, ToSchema)]
    pub struct NetworkLayout {
        /// Graph version read.
        pub graph_version: u64,
        /// Effective filters.
        pub filters: Filters,
        /// Rounds of ForceAtlas2 run.
        pub rounds: usize,
        /// Modularity of the communities.
        pub modularity: f64,
        /// Every node of the view, in index order.
        pub nodes: Vec<PlacedNode>,
        /// The view's edges, each as two positions in `nodes` (lower first).
        pub edges: Vec<[u32; 2]>,
    }

    /// One node of a layout.
    #[derive(Serialize, ToSchema)]
    pub struct PlacedNode {
        /// Node id.
        pub id: String,
        /// Primary name.
        pub name: String,
        /// Kind.
        pub kind: NodeKind,
        /// Country code.
        pub country: Option<String>,
        /// Latitude, where the node is located.
        pub lat: Option<f64>,
        /// Longitude, where the node is located.
        pub lon: Option<f64>,
        /// Position across.
        pub x: f32,
        /// Position down.
        pub y: f32,
        /// Neighbours in the view.
        pub degree: usize,
        /// Its Louvain community (resolution 1, seed 0): the index of its group in
        /// `/api/v1/communities`, 0 the largest.
        pub community: u32,
    }

    /// The filters a response was computed under.
    #[derive(Serialize, ToSchema)]
    pub struct Filters {
        /// Link kinds traversed.
        pub kinds: Vec<&'static str>,
        /// Link statuses traversed.
        pub status: Vec<&'static str>,
        /// Node kinds in the graph.
        pub node_kinds: Vec<&'static str>,
        /// Evidence of the links traversed (`stated`, `inferred`).
        pub evidence: Vec<&'static str>,
        /// The date the network was cut at, if any.
        pub as_of: Option<String>,
        /// With `as_of`, whether undated links counted (the `undated` parameter).
        pub undated: bool,
    }

    /// A node as graph answers show it. A node whose stored record cannot be read is shown
    /// with its id as its name and no other attribute.
    #[derive(Serialize, ToSchema)]
    pub struct NodeRef {
        /// Node id.
        pub id: String,
        /// Kind.
        pub kind: NodeKind,
        /// Primary name.
        pub name: String,
        /// Names by language.
        pub names: BTreeMap<String, String>,
        /// Country code.
        pub country: Option<String>,
        /// Coordinates.
        pub location: Option<Location>,
    }

    /// One signal's part in a score.
    #[derive(Serialize, ToSchema)]
    pub struct Component {
        /// The signal.
        pub signal: Signal,
        /// Its raw value for this pair.
        pub value: f64,
        /// Its weight.
        pub weight: f64,
        /// What it adds to the score.
        pub contribution: f64,
    }

    /// What a committed write did.
    #[derive(Serialize, ToSchema)]
    pub struct WriteSummary {
        /// Graph version after the write (unchanged when nothing changed).
        pub graph_version: u64,
        /// Records created.
        pub created: usize,
        /// Records replaced with different content.
        pub updated: usize,
        /// Records deleted.
        pub deleted: usize,
        /// Records written with the content they already had.
        pub unchanged: usize,
        /// Ids of deleted nodes.
        pub deleted_nodes: Vec<String>,
        /// Ids of deleted links.
        pub deleted_links: Vec<String>,
    }

    /// One record's change: its state before and after.
    #[derive(Serialize, ToSchema)]
    pub struct RecordDiff {
        /// Node or link.
        pub record: RecordType,
        /// Its id.
        pub id: String,
        /// Created, updated or deleted.
        pub op: Operation,
        /// The record before the change (absent for a creation).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<Object>)]
        pub before: Option<serde_json::Value>,
        /// The record after the change (absent for a deletion).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<Object>)]
        pub after: Option<serde_json::Value>,
    }

    /// How many records a change created, updated and deleted.
    #[derive(Serialize, ToSchema)]
    pub struct ChangeCounts {
        /// Records created.
        pub created: u64,
        /// Records whose content changed.
        pub updated: u64,
        /// Records deleted.
        pub deleted: u64,
    }

    /// One committed graph version: who, when, what.
    #[derive(Serialize, ToSchema)]
    pub struct ChangeEntry {
        /// The graph version this change produced.
        pub version: u64,
        /// When it was committed (RFC 3339, UTC).
        pub at: String,
        /// Who made it: the name of the token used, `seed`, or `cli` for the command line.
        pub actor: String,
        /// `write` (API or library write, with every record's diff) or `import` (a bulk
        /// load, with counts only).
        pub action: String,
        /// Records created, updated and deleted.
        pub counts: ChangeCounts,
        /// Every record changed, before and after (empty for imports).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub changes: Vec<RecordDiff>,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::{json, Value};
    use utoipa::PartialSchema;

    use crate::model::{Link, Location, Node, Source};
    use crate::service::analysis::{Filters, NodeRef};
    use crate::service::export::{ExportFormat, ImportFormat};
    use crate::service::partners::{Component, Signal};
    use crate::service::upkeep::{ChangeCounts, ChangeEntry, RecordDiff};
    use crate::service::WriteSummary;

    #[test]
    fn format_names_are_their_wire_names() {
        for format in ExportFormat::ALL {
            let wire = serde_json::to_value(format).unwrap();
            assert_eq!(wire, format.as_str());
            assert_eq!(format.as_str().parse::<ExportFormat>(), Ok(format));
        }
        for format in ImportFormat::ALL {
            assert_eq!(serde_json::to_value(format).unwrap(), format.as_str());
        }
    }

    /// The field names a schema documents.
    fn documented<T: PartialSchema>() -> BTreeSet<String> {
        let schema = serde_json::to_value(T::schema()).unwrap();
        schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    /// The field names a value writes (every optional field given).
    fn written(value: impl serde::Serialize) -> BTreeSet<String> {
        serde_json::to_value(value)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    fn full<T: serde::de::DeserializeOwned>(value: Value) -> T {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn mirrors_name_every_field() {
        let location = json!({"lat": 1.0, "lon": 2.0});
        let node: Node = full(json!({"id": "city:ru:a", "kind": "city", "name": "A",
            "names": {"en": "A"}, "country": "RU", "region": "R", "location": location,
            "population": 1, "external_ids": {"wikidata": "Q1"}, "tags": ["t"],
            "attrs": {"a": 1}}));
        let source = json!({"document": "d", "url": "u", "quote": "q"});
        let link: Link = full(
            json!({"id": "twinning:city:ru:a+city:ru:b", "kind": "twinning",
            "members": ["city:ru:a", "city:ru:b"], "status": "active", "signed": "2001",
            "ended": "2002", "areas": ["culture"], "source": source, "notes": "n",
            "attrs": {"a": 1}}),
        );
        let diff = json!({"record": "node", "id": "city:ru:a", "op": "update",
            "before": {}, "after": {}});
        let counts = json!({"created": 1, "updated": 0, "deleted": 0});
        let entry: ChangeEntry = full(json!({"version": 2, "at": "2026-12-04T20:00:00.000Z",
            "actor": "cli", "action": "write", "counts": counts, "changes": [diff]}));
        let node_ref = NodeRef::from(node.clone());
        let component = Component {
            signal: Signal::AdamicAdar,
            value: 1.0,
            weight: 1.0,
            contribution: 1.0,
        };
        let filters = Filters::from(&crate::service::filters::Filter::default());
        let cited = crate::service::manifest::CitedSource {
            document: "d".into(),
            links: 1,
            title: None,
            credit: None,
            licence: None,
            url: None,
        };
        let manifest = crate::service::manifest::ExportManifest {
            manifest_version: 1,
            file: "network.gexf".into(),
            format: "gexf",
            media_type: "application/gexf+xml",
            bytes: 1,
            sha256: "0".repeat(64),
            graph_version: 1,
            filters: Some(Filters::from(&crate::service::filters::Filter::default())),
            pobratim_version: "0.1.0",
            nodes: 1,
            links: 1,
            links_without_source: 0,
            sources: vec![cited.clone()],
        };
        let placed = crate::service::layout::PlacedNode {
            id: "city:ru:a".into(),
            name: "A".into(),
            kind: crate::model::NodeKind::City,
            country: Some("RU".into()),
            lat: Some(50.0),
            lon: Some(127.5),
            x: 1.0,
            y: 2.0,
            degree: 1,
            community: 0,
        };
        let layout = crate::service::layout::NetworkLayout {
            graph_version: 1,
            filters: filters.clone(),
            rounds: 1,
            modularity: 0.5,
            nodes: vec![placed.clone()],
            edges: vec![[0, 0]],
        };
        let pairs = [
            (documented::<Node>(), written(&node)),
            (documented::<Link>(), written(&link)),
            (
                documented::<Location>(),
                written(full::<Location>(location)),
            ),
            (documented::<Source>(), written(full::<Source>(source))),
            (documented::<ChangeEntry>(), written(&entry)),
            (documented::<RecordDiff>(), written(&entry.changes[0])),
            (documented::<ChangeCounts>(), written(&entry.counts)),
            (documented::<NodeRef>(), written(&node_ref)),
            (documented::<Component>(), written(&component)),
            (documented::<Filters>(), written(&filters)),
            (
                documented::<crate::service::manifest::ExportManifest>(),
                written(&manifest),
            ),
            (
                documented::<crate::service::manifest::CitedSource>(),
                written(&cited),
            ),
            (
                documented::<WriteSummary>(),
                written(WriteSummary::default()),
            ),
            (
                documented::<crate::service::layout::NetworkLayout>(),
                written(&layout),
            ),
            (
                documented::<crate::service::layout::PlacedNode>(),
                written(&placed),
            ),
        ];
        for (documented, written) in &pairs {
            assert_eq!(documented, written);
        }
        // The document's component of each name is that type's schema: another type
        // of the same name would replace it without a word.
        let document =
            serde_json::to_value(<super::super::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
        let components = &document["components"]["schemas"];
        for (name, index) in [("Node", 0), ("Link", 1), ("Location", 2), ("Source", 3)] {
            let properties: BTreeSet<String> = components[name]["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            assert_eq!(properties, pairs[index].1, "components.schemas.{name}");
        }
    }
}
