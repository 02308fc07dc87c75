// The script-tag bundle: everything under the global `MTrace`.
export * from './index';
export { attachHlsJs } from './adapters/hlsjs';
export { attachDashJs } from './adapters/dashjs';
export { attachVideo } from './adapters/video';
export { attachWhep } from './adapters/whep';
