// poll.js: hooks that load REST resources and, for live pages, reload them every
// web.refresh-interval (from /config). A failed reload keeps the last data and reports the
// error beside it, so a page never goes blank because the JobManager blinked.
import { useEffect, useState, useRef, useCallback } from 'preact/hooks';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { get } from './api.js';

/* The dashboard configuration (/config) for every component: refresh-interval, features, ... */
export const ConfigContext = createContext(null);
export const useConfig = () => useContext(ConfigContext);

/*
 * Loads `path` (a string, or null to load nothing) and, when `live`, reloads it every
 * refresh-interval. Returns { data, error, loading, reload }: data is the last good answer,
 * error the last failure (cleared by the next success). `transform` maps the JSON once.
 * A path change drops the old data.
 */
export function useRest(path, { live = true, transform, interval } = {}) {
  const config = useConfig();
  const every = interval || (config && config['refresh-interval']) || 3000;
  const [state, setState] = useState({ data: undefined, error: null, loading: !!path });
  const gen = useRef(0);
  const load = useCallback(async () => {
    if (!path) return;
    const mine = gen.current;
    try {
      let data = await get(path);
      if (transform) data = transform(data);
      if (mine === gen.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (mine === gen.current) setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, [path]);
  useEffect(() => {
    gen.current++;
    setState({ data: undefined, error: null, loading: !!path });
    if (!path) return undefined;
    load();
    if (!live) return undefined;
    const t = setInterval(load, every);
    return () => {
      clearInterval(t);
      gen.current++;
    };
  }, [path, live, every]);
  return { ...state, reload: load };
}

/* Calls fn every refresh-interval (and once now) while mounted; for pages that combine several
 * requests or keep a history (metric charts). */
export function useTicker(fn, deps = []) {
  const config = useConfig();
  const every = (config && config['refresh-interval']) || 3000;
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    let stopped = false;
    const tick = () => !stopped && ref.current();
    tick();
    const t = setInterval(tick, every);
    return () => {
      stopped = true;
      clearInterval(t);
    };
  }, [every, ...deps]);
}
