// The `koa2` dev dependency is Koa 2 (npm:koa@^2) for the Koa 2 run; its API, as far as these
// tests use it, is the one @types/koa describes.
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
