// The order map's geometry: which projection fits the points (Albers USA when every point is in the
// United States, else a world projection fitted to the points), and where a destination is when
// the address carries no coordinates (its state's approximate centre, marked as approximate).

import { geoAlbersUsa, geoNaturalEarth1, type GeoProjection } from 'd3-geo';
import type { Address } from '../api';

export interface LatLon {
  lat: number;
  lon: number;
}
export type MapKind = 'us' | 'world';
export interface FittedProjection {
  kind: MapKind;
  projection: GeoProjection;
}

// Extremes of the US as Albers USA draws it (the lower 48, Alaska and Hawaii insets).
const US_EXTENT: [number, number][] = [
  [-124.8, 48.4], [-66.9, 44.8], [-80.2, 25.0], [-117.1, 32.5], [-97.4, 25.8], [-95.2, 49.4],
  [-179.1, 51.2], [-141.0, 70.0], [-160.2, 22.0], [-154.8, 19.0],
];

const usProbe = geoAlbersUsa();

/** True when Albers USA can draw the point (the 50 states and their surroundings). */
export function inUnitedStates(p: LatLon): boolean {
  return Number.isFinite(p.lat) && Number.isFinite(p.lon) && usProbe([p.lon, p.lat]) !== null;
}

/** The projection for these points in a width x height box with `padding` around. */
export function fitProjection(points: LatLon[], width: number, height: number, padding = 20): FittedProjection {
  const extent: [[number, number], [number, number]] = [
    [padding, padding],
    [width - padding, height - padding],
  ];
  const valid = points.filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon));
  if (valid.every(inUnitedStates)) {
    const projection = geoAlbersUsa().fitExtent(extent, { type: 'MultiPoint', coordinates: US_EXTENT });
    return { kind: 'us', projection };
  }
  const projection = geoNaturalEarth1();
  if (valid.length >= 2) {
    const coords = valid.map((p) => [p.lon, p.lat]);
    projection.fitExtent(extent, { type: 'MultiPoint', coordinates: coords });
    // never zoom in further than a region a few hundred km across
    const sphere = geoNaturalEarth1().fitExtent(extent, { type: 'Sphere' });
    if (projection.scale() > sphere.scale() * 12) projection.scale(sphere.scale() * 12);
  } else {
    projection.fitExtent(extent, { type: 'Sphere' });
    if (valid.length === 1) projection.rotate([-valid[0].lon, 0]);
  }
  return { kind: 'world', projection };
}

/** [x, y] of a point, or null when the projection cannot draw it. */
export function project(projection: GeoProjection, p: LatLon): [number, number] | null {
  const xy = projection([p.lon, p.lat]);
  return xy && Number.isFinite(xy[0]) && Number.isFinite(xy[1]) ? [xy[0], xy[1]] : null;
}

// Approximate geographic centres of the US states and DC (for addresses without coordinates).
export const STATE_CENTRES: Record<string, [number, number]> = {
  AL: [32.8, -86.8], AK: [64.7, -152.0], AZ: [34.3, -111.7], AR: [34.9, -92.4], CA: [37.2, -119.5],
  CO: [39.0, -105.5], CT: [41.6, -72.7], DE: [39.0, -75.5], DC: [38.9, -77.0], FL: [28.6, -82.4],
  GA: [32.7, -83.4], HI: [20.8, -156.3], ID: [44.4, -114.6], IL: [40.0, -89.2], IN: [39.9, -86.3],
  IA: [42.1, -93.5], KS: [38.5, -98.4], KY: [37.5, -85.3], LA: [31.1, -92.0], ME: [45.4, -69.2],
  MD: [39.0, -76.8], MA: [42.3, -71.8], MI: [44.3, -85.4], MN: [46.3, -94.3], MS: [32.7, -89.7],
  MO: [38.4, -92.5], MT: [47.0, -109.6], NE: [41.5, -99.8], NV: [39.3, -116.6], NH: [43.7, -71.6],
  NJ: [40.2, -74.7], NM: [34.4, -106.1], NY: [42.9, -75.5], NC: [35.6, -79.4], ND: [47.5, -100.5],
  OH: [40.3, -82.8], OK: [35.6, -97.5], OR: [43.9, -120.6], PA: [40.9, -77.8], RI: [41.7, -71.5],
  SC: [33.9, -80.9], SD: [44.4, -100.2], TN: [35.9, -86.4], TX: [31.5, -99.3], UT: [39.3, -111.7],
  VT: [44.1, -72.7], VA: [37.5, -78.9], WA: [47.4, -120.5], WV: [38.6, -80.6], WI: [44.6, -89.9],
  WY: [43.0, -107.6],
};

export interface Destination extends LatLon {
  approximate: boolean;
  label: string;
}

/** Where an address is: its own coordinates, else (US only) its state's centre, else null. */
export function locate(address: Address | null | undefined): Destination | null {
  if (!address) return null;
  const label = [address.city, address.state, address.country].filter(Boolean).join(', ');
  if (typeof address.latitude === 'number' && typeof address.longitude === 'number') {
    return { lat: address.latitude, lon: address.longitude, approximate: false, label };
  }
  const state = (address.state ?? '').trim().toUpperCase();
  if ((address.country ?? 'US').toUpperCase() === 'US' && STATE_CENTRES[state]) {
    const [lat, lon] = STATE_CENTRES[state];
    return { lat, lon, approximate: true, label: `${label} (approximate: state centre)` };
  }
  return null;
}
