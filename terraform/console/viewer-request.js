// CloudFront Function (cloudfront-js-2.0), viewer request, for the console
// distribution (terraform/console.tf). The console lives under /console/, as
// on the local stack, so that one build serves both.
//
//  - "/" and "/console" redirect to "/console/" (the app's only entry point);
//  - a path under /console/ whose last segment has no dot is an app route
//    (or the OIDC callback): it is served by /console/index.html;
//  - anything else (a file) keeps its path, so a missing file stays a 403
//    from S3 rather than an HTML page with status 200.
var PREFIX = '/console/';

function handler(event) {
  var request = event.request;
  var uri = request.uri;

  if (uri === '/' || uri === '/console') {
    return {
      statusCode: 301,
      statusDescription: 'Moved Permanently',
      headers: { location: { value: PREFIX } },
    };
  }
  if (uri.indexOf(PREFIX) !== 0) {
    return request;
  }
  var last = uri.substring(uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    request.uri = PREFIX + 'index.html';
  }
  return request;
}
