// router.js: hash routing as Flink's dashboard (#/overview, #/job/running/<id>/overview, ...).
// The route is the hash split on '/', without empty segments; query parameters are not used.
import { useEffect, useState } from 'preact/hooks';

export function currentRoute() {
  const h = location.hash.replace(/^#\/?/, '');
  return h.split('/').filter((s) => s.length).map(decodeURIComponent);
}

export function useRoute() {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export const href = (...segments) => '#/' + segments.map((s) => encodeURIComponent(s)).join('/');
export const navigate = (...segments) => {
  location.hash = href(...segments).slice(1);
};
