// The order's map: candidate nodes, the chosen node(s) and the destination, drawn as SVG from map
// data bundled with the app (us-atlas states, world-atlas land; no tiles, nothing fetched).

import { useEffect, useMemo, useState } from 'react';
import { geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { FeatureCollection, Geometry } from 'geojson';
import type { Topology } from 'topojson-specification';
import type { Candidate, Node } from '../api';
import { km, score } from '../format';
import { fitProjection, project, type Destination, type MapKind } from '../lib/geo';

const WIDTH = 800;
const HEIGHT = 470;

async function loadShapes(kind: MapKind): Promise<FeatureCollection<Geometry>> {
  if (kind === 'us') {
    const topo = (await import('us-atlas/states-10m.json')).default as unknown as Topology;
    return feature(topo, topo.objects.states) as FeatureCollection<Geometry>;
  }
  const topo = (await import('world-atlas/land-110m.json')).default as unknown as Topology;
  const land = feature(topo, topo.objects.land);
  return (land.type === 'FeatureCollection' ? land : { type: 'FeatureCollection', features: [land] }) as FeatureCollection<Geometry>;
}

export interface OrderMapProps {
  nodes: Node[];
  candidates: Candidate[];
  chosenIds: Set<string>;
  destination: Destination | null;
}

export default function OrderMap({ nodes, candidates, chosenIds, destination }: OrderMapProps) {
  const byCandidate = useMemo(() => new Map(candidates.map((c) => [c.node_id, c])), [candidates]);
  const points = useMemo(
    () => [...nodes.map((n) => ({ lat: n.latitude, lon: n.longitude })), ...(destination ? [destination] : [])],
    [nodes, destination],
  );
  const fitted = useMemo(() => fitProjection(points, WIDTH, HEIGHT, 24), [points]);
  const [shapes, setShapes] = useState<FeatureCollection<Geometry> | null>(null);
  const [shapeError, setShapeError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    loadShapes(fitted.kind)
      .then((s) => live && setShapes(s))
      .catch((e: unknown) => live && setShapeError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [fitted.kind]);

  const path = geoPath(fitted.projection);
  const dest = destination ? project(fitted.projection, destination) : null;
  const placed = nodes
    .map((n) => ({ node: n, xy: project(fitted.projection, { lat: n.latitude, lon: n.longitude }), candidate: byCandidate.get(n.id) }))
    .filter((p): p is typeof p & { xy: [number, number] } => p.xy !== null)
    // draw the chosen ones last (on top)
    .sort((a, b) => Number(chosenIds.has(a.node.id)) - Number(chosenIds.has(b.node.id)));

  return (
    <figure className="map">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        className="map-svg"
        role="img"
        aria-label="Map of candidate nodes, chosen nodes and the destination"
        data-testid="order-map"
        data-kind={fitted.kind}
        data-ready={shapes ? 'true' : 'false'}
      >
        <rect x={0} y={0} width={WIDTH} height={HEIGHT} className="map-water" />
        <g className="map-land">{shapes?.features.map((f, i) => <path key={i} d={path(f) ?? undefined} />)}</g>
        {dest &&
          placed
            .filter((p) => chosenIds.has(p.node.id))
            .map((p) => (
              <line key={`route-${p.node.id}`} x1={p.xy[0]} y1={p.xy[1]} x2={dest[0]} y2={dest[1]} className="map-route" data-testid="map-route" />
            ))}
        {placed.map(({ node, xy, candidate }) => {
          const chosen = chosenIds.has(node.id);
          const cls = chosen ? 'map-node chosen' : candidate ? 'map-node candidate' : 'map-node other';
          return (
            <g key={node.id} transform={`translate(${xy[0]},${xy[1]})`} className={cls} data-testid={`map-node-${node.code}`} data-chosen={chosen} data-candidate={Boolean(candidate)}>
              <circle r={chosen ? 8 : candidate ? 5.5 : 3.5} />
              {(chosen || candidate) && (
                <text x={chosen ? 11 : 8} y={4} className="map-label">
                  {node.code}
                </text>
              )}
              <title>
                {`${node.code} · ${node.name}` +
                  (candidate ? `\nscore ${score(candidate.score)} · ${km(candidate.distance_km)}\n${candidate.reason}` : '\nnot a candidate')}
              </title>
            </g>
          );
        })}
        {dest && destination && (
          <g transform={`translate(${dest[0]},${dest[1]})`} className={`map-destination ${destination.approximate ? 'approx' : ''}`} data-testid="map-destination">
            <path d="M0,-11 L7,0 L0,11 L-7,0 Z" />
            <text x={10} y={-8} className="map-label">
              {destination.label}
            </text>
            <title>{destination.label}</title>
          </g>
        )}
      </svg>
      <figcaption className="map-legend">
        <span><i className="dot chosen" /> chosen node</span>
        <span><i className="dot candidate" /> candidate</span>
        <span><i className="dot other" /> other node</span>
        <span><i className="dot destination" /> destination</span>
        {!destination && <span className="muted">no destination coordinates on this order</span>}
        {shapeError && <span className="text-bad">map outline unavailable: {shapeError}</span>}
      </figcaption>
    </figure>
  );
}
