import './styles/base.css'; // first: feature styles (imported by the views) build on it
import { render } from 'preact';
import { App } from './app/App';

render(<App />, document.getElementById('app')!);
