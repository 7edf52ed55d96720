// submit-upload.js: the submit page's upload of a job object (POST /jars/upload, multipart field
// `jarfile`, as Flink's dashboard sends it). It uses XMLHttpRequest rather than lib/api.js's fetch
// because only XMLHttpRequest reports upload progress; failures come back as lib/api.js's
// RestError / ConnectionError so the page shows them as every other REST failure.
import { RestError, ConnectionError } from '../lib/api.js';
import { signalConnection } from '../lib/connection.js';

/*
 * Uploads `file` (a File). onProgress(sent, total) is called as the body goes out. Resolves to
 * the server's answer ({filename, status}); rejects with a RestError (the server refused it, with
 * Flink's {"errors": [...]} text) or a ConnectionError (no answer).
 */
export function uploadJobObject(file, onProgress) {
  const path = '/jars/upload';
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path.slice(1)); // relative, as lib/api.js: the page's origin and base path
    xhr.upload.onprogress = (e) => onProgress && onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => {
      signalConnection(false);
      reject(new ConnectionError(path, 'the upload could not be sent'));
    };
    xhr.onload = () => {
      signalConnection(true);
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (_) {
        /* not JSON: the status (and the text) say enough */
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) {
        resolve(body);
        return;
      }
      const errors = body && Array.isArray(body.errors)
        ? body.errors
        : xhr.responseText ? [xhr.responseText.slice(0, 500)] : null;
      reject(new RestError(path, xhr.status, errors));
    };
    const form = new FormData();
    form.append('jarfile', file, file.name);
    xhr.send(form);
  });
}
